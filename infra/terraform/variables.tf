variable "region" {
  description = "Region of the functions, queues, bucket and rules (FC, SMQ and EventBridge must share it)."
  type        = string
  default     = "cn-hangzhou"
}

variable "name_prefix" {
  description = "Prefix of every resource name; s.yaml names its functions <prefix>-<function>."
  type        = string
  default     = "fc-eventing"
}

variable "bus_visibility_timeout" {
  description = "Seconds a received bus message stays invisible; longer than the sensor's timeout (60 s in s.yaml)."
  type        = number
  default     = 120
}

variable "bus_message_retention" {
  description = "Seconds an unconsumed bus message is kept (SMQ allows 60 to 604800)."
  type        = number
  default     = 345600
}

variable "dlq_message_retention" {
  description = "Seconds a dead-lettered message is kept for inspection and replay."
  type        = number
  default     = 604800
}

variable "create_source_topic" {
  description = "Create the SMQ topic whose messages the mns-source function receives (topic variant)."
  type        = bool
  default     = true
}

variable "create_source_queue" {
  description = "Create the SMQ queue whose messages the mns-source function receives (queue variant)."
  type        = bool
  default     = true
}

variable "payload_bucket" {
  description = "Bucket for payloads over SMQ's 64 KiB; empty means <prefix>-payloads-<account id>."
  type        = string
  default     = ""
}

variable "payload_prefix" {
  description = "Key prefix of stored payloads; the lifecycle rule and the policies cover only this prefix."
  type        = string
  default     = "payloads/"
}

variable "payload_expiration_days" {
  description = "Days after which stored payloads are deleted; longer than the bus retention plus replay time."
  type        = number
  default     = 7
}

variable "log_retention_days" {
  description = "Days the functions' log lines are kept in Log Service."
  type        = number
  default     = 30
}

variable "eventbridge_service_linked_roles" {
  description = "EventBridge service-linked roles to create; leave out any the account already has."
  type        = set(string)
  default = [
    "AliyunServiceRoleForEventBridgeSendToFC",
    "AliyunServiceRoleForEventBridgeSourceMNS",
  ]
}

variable "app_event_bus" {
  description = "Custom EventBridge bus to which applications put their own events; empty creates none."
  type        = string
  default     = "fc-eventing"
}

variable "app_event_pattern" {
  description = "Event pattern of the rule that hands the custom bus's events to eventbridge-source."
  type        = string
  default     = "{\"source\":[{\"prefix\":\"\"}]}"
}

variable "route_app_bus" {
  description = "Create the rule from the custom bus to eventbridge-source; set to true after `s deploy` created the function."
  type        = bool
  default     = false
}
