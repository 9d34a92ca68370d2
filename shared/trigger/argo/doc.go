// Package argo carries out the triggers a sensor fires (sensor.Firing) directly through the
// Kubernetes API of the workflow cluster, with client-go and the argo-workflows/v3 types: no
// argo CLI process per trigger.
//
// argoWorkflow operations have the effect the argo CLI's command has on the Workflow object
// (argo-workflows v3.7 workflow/util and server/workflow): submit creates the Workflow with the
// honoured args applied (--name, --generate-name, --entrypoint, --serviceaccount, -p, -l,
// --priority, --scheduled-time); submit-from builds the Workflow `argo submit --from` builds from
// a WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow; resubmit creates the copy
// FormulateResubmitWorkflow makes; retry rewrites a Failed/Error Workflow as
// FormulateRetryWorkflow does and deletes the pods of the nodes it removes; resume, suspend,
// terminate and stop change spec.suspend, suspend nodes and spec.shutdown as the CLI does
// (--node-field-selector and --message included), refusing completed workflows as it does.
// k8s triggers create, update, patch (merge, json, strategic, apply) or delete any resource
// through the dynamic client, with Argo Events' liveObject (update) and its create-when-missing
// for update and patch. Sources other than resource/inline (file, url, configmap, oss) are
// fetched here and resolved by sensor.Firing.Resolve.
//
// Where fc-eventing differs from Argo Events and the argo CLI, on purpose:
//   - A create that finds the object already there (AlreadyExists) succeeds and reports the
//     existing object: with names derived from the event ids, a redelivered event does not make
//     a second Workflow. submit-from and resubmit, which argo names with generateName, are named
//     as the engine names created objects (sensor.ObjectName: generateName + a hash of sensor,
//     trigger and event ids) for the same reason; so is the memoized resubmit argo names randomly.
//   - The creator labels argo's server sets from the caller's SSO identity are not set: the
//     caller is the function's ServiceAccount.
//   - retryStrategy retries transient failures only (timeouts, 429, 5xx, conflicts, broken
//     connections), never Forbidden, Invalid or NotFound.
//   - A url source's certificate is always verified; sources are cached and fetched again only
//     when changed (see SourceConfig). git and s3 sources are refused; oss is added.
//   - patchStrategy json takes its RFC 6902 operations from the object's "patch" key.
//   - Node status that Argo offloaded to its database cannot be reached through the Kubernetes
//     API: operations that need the nodes (retry, resume, stop by node, memoized resubmit) refuse
//     such a workflow.
package argo
