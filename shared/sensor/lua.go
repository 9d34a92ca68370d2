package sensor

import (
	"context"
	"fmt"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// maxLuaString caps what string.rep may build, so a script cannot exhaust
// memory in one call before its deadline.
const maxLuaString = 1 << 20

// luaRemoved are base functions a sandboxed script may not call: loading
// code or files, printing, and environment access.
var luaRemoved = []string{
	"dofile", "loadfile", "load", "loadstring", "print", "collectgarbage", "_printregs",
	"module", "require", "getfenv", "setfenv", "newproxy",
}

// compileLua parses and compiles a script once.
func compileLua(name, src string) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		return nil, fmt.Errorf("parsing Lua: %w", err)
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, fmt.Errorf("compiling Lua: %w", err)
	}
	return proto, nil
}

// newSandbox returns a Lua state with only the base (minus loading,
// printing and environment functions), table, string and math libraries:
// no os, io, debug, package or coroutine.
func newSandbox() *lua.LState {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:        true,
		CallStackSize:       256,
		RegistrySize:        1024,
		RegistryMaxSize:     64 * 1024,
		MinimizeStackMemory: true,
	})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	for _, name := range luaRemoved {
		L.SetGlobal(name, lua.LNil)
	}
	if s, ok := L.GetGlobal("string").(*lua.LTable); ok {
		s.RawSetString("rep", L.NewFunction(luaStringRep))
	}
	return L
}

func luaStringRep(L *lua.LState) int {
	s := L.CheckString(1)
	n := L.CheckInt(2)
	if n <= 0 || s == "" {
		L.Push(lua.LString(""))
		return 1
	}
	if len(s) > maxLuaString/n {
		L.RaiseError("string.rep: result longer than %d bytes", maxLuaString)
		return 0
	}
	L.Push(lua.LString(strings.Repeat(s, n)))
	return 1
}

// runLua runs proto with the global `event` set to data and returns the
// script's last returned value converted to Go. ctx bounds the run.
func runLua(ctx context.Context, proto *lua.FunctionProto, data any) (any, error) {
	L := newSandbox()
	defer L.Close()
	L.SetContext(ctx)
	L.SetGlobal("event", toLua(L, data))
	L.Push(L.NewFunctionFromProto(proto))
	if err := L.PCall(0, lua.MultRet, nil); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("script interrupted: %w", ctx.Err())
		}
		return nil, fmt.Errorf("running script: %w", err)
	}
	return fromLua(L.Get(-1), 0)
}

func toLua(L *lua.LState, v any) lua.LValue {
	switch t := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(t)
	case string:
		return lua.LString(t)
	case float64:
		return lua.LNumber(t)
	case int64:
		return lua.LNumber(float64(t))
	case map[string]any:
		tb := L.CreateTable(0, len(t))
		for k, vv := range t {
			tb.RawSetString(k, toLua(L, vv))
		}
		return tb
	case []any:
		tb := L.CreateTable(len(t), 0)
		for i, vv := range t {
			tb.RawSetInt(i+1, toLua(L, vv))
		}
		return tb
	}
	return lua.LString(fmt.Sprint(v))
}

// fromLua converts a Lua value to Go: a table with array part becomes a
// slice, any other table an object.
func fromLua(v lua.LValue, depth int) (any, error) {
	if depth > 100 {
		return nil, fmt.Errorf("script result nested too deeply")
	}
	switch t := v.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LBool:
		return bool(t), nil
	case lua.LString:
		return string(t), nil
	case lua.LNumber:
		f := float64(t)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("script result holds a non-finite number")
		}
		return f, nil
	case *lua.LTable:
		if n := t.MaxN(); n > 0 {
			out := make([]any, 0, n)
			for i := 1; i <= n; i++ {
				e, err := fromLua(t.RawGetInt(i), depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, e)
			}
			return out, nil
		}
		out := map[string]any{}
		var err error
		t.ForEach(func(k, val lua.LValue) {
			if err != nil {
				return
			}
			var e any
			e, err = fromLua(val, depth+1)
			out[k.String()] = e
		})
		return out, err
	}
	return nil, fmt.Errorf("script result holds a %s, which has no JSON form", v.Type())
}
