// Package fc is the one place that knows Function Compute. It starts the
// invocation loop of github.com/aliyun/fc-runtime-go-sdk with a typed handler
// (fc.Start), gives every invocation a context whose deadline leaves time to
// answer before FC stops the instance, a logrus JSON logger carrying the FC
// request id (fc.Logger), and the FC 3.0 HTTP trigger event and answer
// (fc.HTTPRequest, fc.HTTPResponse) as documented for built-in runtimes:
// headers arrive with their names capitalised and repeated values joined by
// commas, the body is a string that is base64 when isBase64Encoded is true.
//
// fc-eventing differs from the SDK's own Start in three ways: handlers are
// generic (no reflection on interface{}); a payload decoded into []byte or
// json.RawMessage is handed over untouched, so a function whose input is
// not JSON (an SMQ topic STREAM message) still receives it; and
// fc.StartLoading starts the loop before the handler is built, so a
// function's set-up overlaps the runtime's first poll and the first event
// waits for it instead of for the whole start.
package fc
