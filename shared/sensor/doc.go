// Package sensor compiles an Argo Events Sensor (argoproj.io/v1alpha1,
// v1.9 semantics) once into a Program and evaluates events against it:
// routing by eventSourceName/eventName (the event's CloudEvents
// source/subject), transforms (jq, Lua), filters (data, exprs, context,
// time, script and their logical operators), trigger conditions with state
// kept between events, trigger parameters at both levels, and the objects
// argoWorkflow and k8s triggers send. It does no I/O: a Firing says what to
// do and shared/trigger does it.
//
// The reference is Argo Events v1.9: its documentation and the behaviour of
// pkg/sensors (dependencies/filter.go, dependencies/transform.go,
// triggers/params.go). Filter and parameter error texts follow it.
//
// # Where fc-eventing deliberately differs from Argo Events
//
//   - Compile once. Regexes, numbers and booleans of data filters, sprig
//     templates, govaluate expressions, jq programs, Lua scripts, cron
//     schedules, time zones, parameter destinations and inline resources are
//     compiled or decoded when the sensor loads. What Argo Events reports
//     as an error on every event (an invalid regex, "abc" as a number, an
//     expression using a variable no field binds, a template that does not
//     parse) is a load error here, with the field path.
//   - Comparators that cannot apply are load errors: >, >=, <, <= on a string
//     or bool data filter (Argo Events never matches the string and ignores
//     the comparator of a bool). "!=" on a bool filter is honoured (Argo
//     Events ignores it and compares for equality).
//   - filtersLogicalOperator "or": a filter that passed makes the dependency
//     match even when another filter errored; the error is still reported in
//     DependencyResult.Err (Argo Events' runtime drops the passing result and
//     treats the event as not matching). A script filter's error is
//     collected like any other filter's instead of ending the evaluation.
//     A dependency with an empty filters block matches under "or" too.
//   - rateLimit.requestsPerUnit must be greater than zero (Argo Events
//     divides by it and panics on 0); retryStrategy and policy backoffs are
//     validated (jitter in [0, 1], durations parse, nothing negative).
//   - Lua runs sandboxed: only the base (without dofile, load, loadfile,
//     loadstring, require, module, print, collectgarbage, getfenv,
//     setfenv), table, string and math libraries; no os, io, debug,
//     package or coroutine; string.rep results are capped at 1 MiB. jq and
//     Lua runs are bounded by Options.ScriptTimeout and the context given to
//     Evaluate: a runaway script is an error, never a hang. Lua values
//     convert to and from JSON completely (Argo Events drops nested arrays
//     and nulls in arrays); an empty table becomes {}.
//   - Sprig's env, expandenv and getHostByName are not available to
//     templates: a sensor must not read the function's credentials from the
//     environment or do network I/O.
//   - Only argoWorkflow, k8s and log triggers are carried out; any other
//     trigger type is rejected at load, naming it. A template naming two
//     trigger types is rejected.
//   - argoWorkflow args are parsed against the argo CLI's flags of the
//     operation at load. Flags that only change what the CLI prints or
//     whether it waits (-o, --wait, --watch, --log, --strict, --status,
//     --node-field-selector on submit) are ignored; --parameter-file,
//     --dry-run, --server-dry-run, --from, -l/--selector and
//     --field-selector on operations other than submit are rejected. For
//     submit, --name, --generate-name, --entrypoint, --serviceaccount, -p,
//     -l, --priority and --scheduled-time are applied to Firing.Object as
//     the argo CLI applies them before creating the workflow.
//   - Objects that a trigger creates (k8s create, argoWorkflow submit) get a
//     deterministic name when they have generateName and no name:
//     generateName + a hash of sensor, trigger and the ids of the events
//     used (ObjectName), so a redelivered event finds its object already
//     there. Argo Events lets the API server pick a random suffix, and adds
//     an events.argoproj.io/action-timestamp label, which is left out here
//     so the object is the same on every delivery.
//   - A parameter with neither key nor template resolves to
//     {"context": {...}, "data": <the data as JSON>} (Argo Events encodes
//     the data as base64). Event data is always JSON here, so dataKey does
//     not depend on datacontenttype.
//   - Parameter destinations with wildcards, '#' or '@' are rejected at load
//     (sjson ignores them silently); an array index more than 1024 past the
//     end is an error instead of an array of nulls.
//   - An event without a time is filtered by the time filter at
//     Options.Now.
//   - conditionsReset byTime is evaluated when the next event for the
//     trigger arrives: entries stored before the latest scheduled reset are
//     dropped. The effect equals Argo Events' timer; no goroutine runs.
//
// Firing.Object shares the subtrees the engine did not change with the
// Program's compiled resource: treat it as read-only below metadata, or copy
// it (runtime.DeepCopyJSON) before changing it.
package sensor
