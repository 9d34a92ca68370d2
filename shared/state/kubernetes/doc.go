// Package kubernetes keeps a sensor's conditions state (sensor.State) in
// the workflow cluster, as one ConfigMap per sensor trigger, so that every
// sensor function instance sees the same state and a trigger whose
// dependencies arrive at different instances still fires exactly once.
//
// Concurrency is optimistic, as Kubernetes controllers do it: Update reads
// the ConfigMap, runs fn on its entries and writes the result back carrying
// the resourceVersion it read (create for a new key). The API server refuses
// a write based on a stale resourceVersion with 409 Conflict (and a second
// create with AlreadyExists); Update then reads again and reruns fn, with a
// short jittered backoff, until it wins, ctx ends or MaxAttempts is reached
// (ErrConflict). Reads are quorum reads (no resourceVersion given), never
// served from a cache.
//
// The object, in the namespace the function is given (FCE_STATE_NAMESPACE):
//
//	apiVersion: v1
//	kind: ConfigMap
//	metadata:
//	  name: fce-state-<sensor>-<trigger>-<hash>   # hash of namespace, sensor, trigger
//	  labels:
//	    app.kubernetes.io/managed-by: fc-eventing
//	    app.kubernetes.io/component: sensor-state
//	    events.argoproj.io/sensor: <sensor>       # when a valid label value
//	    events.argoproj.io/trigger: <trigger>     # likewise
//	  annotations:
//	    fc-eventing.io/state-key: '{"namespace":…,"sensor":…,"trigger":…}'
//	data:
//	  entries: '{"<dependency>": {"event": <CloudEvent>, "at": <RFC 3339>}, …}'
//
// A state that becomes empty (the trigger fired) is stored as a ConfigMap
// without entries rather than deleted, so the function's identity needs
// only the verbs get, create and update on configmaps in that namespace
// (names are derived from the key, so they cannot be listed in advance with
// resourceNames); TestInfraRBAC checks that infra/k8s grants them. Argo
// Events keeps this state in the sensor pod's memory and loses it on
// restart; here it survives function instances.
package kubernetes
