# Cloud side of fc-eventing: the bus (SMQ queue, dead-letter queue, topic),
# the event origins the source functions listen to, the bucket for large
# payloads, EventBridge, and the RAM roles the functions and triggers use.
# The functions and their triggers themselves are deployed by `s deploy`.

data "alicloud_account" "current" {}

locals {
  account_id     = data.alicloud_account.current.id
  payload_bucket = var.payload_bucket != "" ? var.payload_bucket : "${var.name_prefix}-payloads-${local.account_id}"

  functions = {
    webhook            = "${var.name_prefix}-webhook"
    oss_source         = "${var.name_prefix}-oss-source"
    mns_source         = "${var.name_prefix}-mns-source"
    eventbridge_source = "${var.name_prefix}-eventbridge-source"
    sensor             = "${var.name_prefix}-sensor"
  }

  function_arn = { for k, name in local.functions : k => "acs:fc:${var.region}:${local.account_id}:functions/${name}" }

  mns_queue_arn = "acs:mns:${var.region}:${local.account_id}:/queues"
  mns_topic_arn = "acs:mns:${var.region}:${local.account_id}:/topics"
}
