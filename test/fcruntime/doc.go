// Package fcruntime runs real function binaries under a local implementation
// of the Function Compute runtime API, the one github.com/aliyun/fc-runtime-go-sdk
// v0.3.1 polls.
//
// The protocol, as the SDK speaks it (fc/runtime_api_client.go, fc/invoke_loop.go):
//
//   - The process is started with FC_RUNTIME_API=host:port and loops on
//     GET http://$FC_RUNTIME_API/2020-11-11/runtime/invocation/next. The answer
//     is the invocation payload as the body, with the headers
//     x-fc-request-id, x-fc-function-deadline (epoch milliseconds) and
//     x-fc-function-timeout (whole seconds), which the SDK requires, plus the
//     optional function, service, credential, retry-count and HTTP-parameter
//     headers it copies into the fccontext.FcContext.
//   - x-fc-function-type selects a lifecycle hook instead of the handler:
//     1 initializer, 2 pre-stop, 3 pre-freeze. A hook the function did not
//     register panics inside the SDK and is answered as an error.
//   - The function answers with POST …/invocation/{id}/response (the handler's
//     JSON answer; x-fc-http-params for HTTP functions) or POST
//     …/invocation/{id}/error with {"errorMessage", "errorType", "stackTrace"}.
//   - The SDK asks for the next invocation as soon as it has received one, so
//     the server, not the SDK, decides how many run at once. Like an FC
//     instance with instance concurrency 1 (the default), this server hands a
//     process its next invocation only after the previous one was answered;
//     Options.Concurrency raises that limit.
//
// Where this differs from Function Compute: there is one process per
// Function, started when the Function starts (or restarts) rather than on
// demand, and an invocation that outlives its deadline kills the process, so
// the handler still running cannot answer into the next invocation's slot.
// Each process gets its own listener, so nothing a killed process still sends
// can reach its successor.
package fcruntime
