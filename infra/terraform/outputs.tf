output "account_id" {
  description = "Account that owns the resources (what s.yaml reads with config('AccountID'))."
  value       = local.account_id
}

output "smq_endpoint" {
  description = "SMQ endpoint the functions use (FCE_SMQ_ENDPOINT)."
  value       = "https://${local.account_id}.mns.${var.region}.aliyuncs.com"
}

output "oss_endpoint" {
  description = "OSS endpoint the functions use (FCE_OSS_ENDPOINT)."
  value       = "https://oss-${var.region}.aliyuncs.com"
}

output "bus_queue" {
  description = "Bus queue (FCE_SMQ_QUEUE; the sensor's trigger reads it)."
  value       = alicloud_message_service_queue.bus.queue_name
}

output "bus_dlq" {
  description = "Dead-letter queue of the bus (FCE_SMQ_DLQ; the sensor trigger's deadLetterQueue)."
  value       = alicloud_message_service_queue.dlq.queue_name
}

output "bus_topic" {
  description = "Bus topic for the fan-out variant (FCE_SMQ_TOPIC); its subscription pushes into the bus queue."
  value       = alicloud_message_service_topic.bus.topic_name
}

output "source_topic" {
  description = "Topic whose messages mns-source receives (mns_topic trigger)."
  value       = one(alicloud_message_service_topic.source[*].topic_name)
}

output "source_queue" {
  description = "Queue whose messages mns-source receives (eventbridge trigger with an MNS source)."
  value       = one(alicloud_message_service_queue.source[*].queue_name)
}

output "payload_bucket" {
  description = "Bucket for large payloads (FCE_OSS_BUCKET)."
  value       = alicloud_oss_bucket.payloads.bucket
}

output "payload_prefix" {
  description = "Key prefix of large payloads (FCE_OSS_PREFIX)."
  value       = var.payload_prefix
}

output "source_role_arn" {
  description = "Role of the four source functions."
  value       = alicloud_ram_role.source.arn
}

output "sensor_role_arn" {
  description = "Role of the sensor function."
  value       = alicloud_ram_role.sensor.arn
}

output "oss_trigger_role_arn" {
  description = "Role OSS assumes to invoke oss-source."
  value       = alicloud_ram_role.oss_trigger.arn
}

output "mns_trigger_role_arn" {
  description = "Role SMQ assumes to invoke mns-source."
  value       = alicloud_ram_role.mns_trigger.arn
}

output "log_project" {
  description = "Log Service project of the functions' logs (s.yaml logConfig.project)."
  value       = alicloud_log_project.functions.project_name
}

output "log_store" {
  description = "Logstore of the functions' logs (s.yaml logConfig.logstore)."
  value       = alicloud_log_store.functions.logstore_name
}

output "app_event_bus" {
  description = "Custom EventBridge bus for application events, if created."
  value       = one(alicloud_event_bridge_event_bus.apps[*].event_bus_name)
}

# The same values keyed by the names of s.yaml's vars: copy them there.
output "s_yaml_vars" {
  description = "Values for the vars of s.yaml, keyed by var name."
  value = {
    region         = var.region
    sourceRole     = alicloud_ram_role.source.arn
    sensorRole     = alicloud_ram_role.sensor.arn
    ossTriggerRole = alicloud_ram_role.oss_trigger.arn
    mnsTriggerRole = alicloud_ram_role.mns_trigger.arn
    smqEndpoint    = "https://${local.account_id}.mns.${var.region}.aliyuncs.com"
    busQueue       = alicloud_message_service_queue.bus.queue_name
    busDLQ         = alicloud_message_service_queue.dlq.queue_name
    ossEndpoint    = "https://oss-${var.region}.aliyuncs.com"
    payloadBucket  = alicloud_oss_bucket.payloads.bucket
    payloadPrefix  = var.payload_prefix
    sourceTopic    = one(alicloud_message_service_topic.source[*].topic_name)
    sourceQueue    = one(alicloud_message_service_queue.source[*].queue_name)
    logProject     = alicloud_log_project.functions.project_name
    logStore       = alicloud_log_store.functions.logstore_name
  }
}
