package sensor

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/itchyny/gojq"
	lua "github.com/yuin/gopher-lua"
)

// transformer rewrites an event's data before the filters see it.
type transformer struct {
	jq  *gojq.Code
	lua *lua.FunctionProto
}

func compileTransform(jq, script string) (*transformer, error) {
	if jq != "" {
		q, err := gojq.Parse(jq)
		if err != nil {
			return nil, fmt.Errorf("parsing jq: %w", err)
		}
		code, err := gojq.Compile(q)
		if err != nil {
			return nil, fmt.Errorf("compiling jq: %w", err)
		}
		return &transformer{jq: code}, nil
	}
	proto, err := compileLua("transform", script)
	if err != nil {
		return nil, err
	}
	return &transformer{lua: proto}, nil
}

// apply returns the transformed data. Data that is absent is left as it is
// (as Argo Events does); data that is not a JSON object, or a result that
// is not one, is an error.
func (t *transformer) apply(ctx context.Context, data json.RawMessage) (json.RawMessage, error) {
	if len(data) == 0 {
		return data, nil
	}
	var in map[string]any
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, fmt.Errorf("event data is not a JSON object: %w", err)
	}
	var out any
	if t.jq != nil {
		iter := t.jq.RunWithContext(ctx, in)
		v, ok := iter.Next()
		if !ok {
			return nil, fmt.Errorf("jq produced no output")
		}
		if err, isErr := v.(error); isErr {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("jq interrupted: %w", ctx.Err())
			}
			return nil, fmt.Errorf("running jq: %w", err)
		}
		if _, isMap := v.(map[string]any); !isMap {
			return nil, fmt.Errorf("jq output must be a JSON object, got %s", jsonKind(v))
		}
		out = v
	} else {
		v, err := runLua(ctx, t.lua, any(in))
		if err != nil {
			return nil, err
		}
		if _, isMap := v.(map[string]any); !isMap {
			return nil, fmt.Errorf("transformation script must return a table, got %s", jsonKind(v))
		}
		out = v
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encoding transformed data: %w", err)
	}
	return b, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "a number"
}
