# Least privilege: the source functions may only put events on the bus and
# store large payloads; the sensor may only consume the bus, dead-letter to
# the DLQ and read payloads; both may write their own logstore; OSS and SMQ
# may only invoke the one function their trigger targets. Kubernetes
# permissions of the sensor live in the workflow cluster (infra/k8s), not in
# RAM.

locals {
  payload_objects = "acs:oss:*:${local.account_id}:${local.payload_bucket}/${var.payload_prefix}*"
  function_logs   = "acs:log:${var.region}:${local.account_id}:project/${alicloud_log_project.functions.project_name}/logstore/${alicloud_log_store.functions.logstore_name}"

  write_logs = {
    Effect   = "Allow"
    Action   = ["log:PostLogStoreLogs"]
    Resource = [local.function_logs]
  }

  trust_fc = jsonencode({
    Version = "1"
    Statement = [{
      Action    = "sts:AssumeRole"
      Effect    = "Allow"
      Principal = { Service = ["fc.aliyuncs.com"] }
    }]
  })
}

resource "alicloud_ram_role" "source" {
  role_name                   = "${var.name_prefix}-source"
  description                 = "fc-eventing source functions: publish to the bus, store large payloads"
  assume_role_policy_document = local.trust_fc
  force                       = true
}

resource "alicloud_ram_policy" "source" {
  policy_name = "${var.name_prefix}-source"
  description = "Send to the bus queue or topic; write payloads under the payload prefix"
  force       = true
  policy_document = jsonencode({
    Version = "1"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["mns:SendMessage", "mns:BatchSendMessage"]
        Resource = ["${local.mns_queue_arn}/${alicloud_message_service_queue.bus.queue_name}/messages"]
      },
      {
        Effect   = "Allow"
        Action   = ["mns:PublishMessage"]
        Resource = ["${local.mns_topic_arn}/${alicloud_message_service_topic.bus.topic_name}/messages"]
      },
      {
        # A starting function reads the attributes once to open its connection.
        Effect = "Allow"
        Action = ["mns:GetQueueAttributes", "mns:GetTopicAttributes"]
        Resource = [
          "${local.mns_queue_arn}/${alicloud_message_service_queue.bus.queue_name}",
          "${local.mns_topic_arn}/${alicloud_message_service_topic.bus.topic_name}",
        ]
      },
      {
        Effect   = "Allow"
        Action   = ["oss:PutObject"]
        Resource = [local.payload_objects]
      },
      local.write_logs,
    ]
  })
}

resource "alicloud_ram_role_policy_attachment" "source" {
  role_name   = alicloud_ram_role.source.role_name
  policy_name = alicloud_ram_policy.source.policy_name
  policy_type = "Custom"
}

resource "alicloud_ram_role" "sensor" {
  role_name                   = "${var.name_prefix}-sensor"
  description                 = "fc-eventing sensor function: consume the bus, dead-letter, read large payloads"
  assume_role_policy_document = local.trust_fc
  force                       = true
}

resource "alicloud_ram_policy" "sensor" {
  policy_name = "${var.name_prefix}-sensor"
  description = "Consume the bus queue, send to its dead-letter queue, read payloads under the payload prefix"
  force       = true
  policy_document = jsonencode({
    Version = "1"
    Statement = [
      {
        Effect = "Allow"
        Action = [
          "mns:ReceiveMessage",
          "mns:BatchReceiveMessage",
          "mns:DeleteMessage",
          "mns:BatchDeleteMessage",
          "mns:ChangeMessageVisibility",
        ]
        Resource = ["${local.mns_queue_arn}/${alicloud_message_service_queue.bus.queue_name}/messages"]
      },
      {
        Effect   = "Allow"
        Action   = ["mns:SendMessage"]
        Resource = ["${local.mns_queue_arn}/${alicloud_message_service_queue.dlq.queue_name}/messages"]
      },
      {
        Effect   = "Allow"
        Action   = ["oss:GetObject"]
        Resource = [local.payload_objects]
      },
      local.write_logs,
    ]
  })
}

resource "alicloud_ram_role_policy_attachment" "sensor" {
  role_name   = alicloud_ram_role.sensor.role_name
  policy_name = alicloud_ram_policy.sensor.policy_name
  policy_type = "Custom"
}

# OSS assumes this role to invoke oss-source for the object notifications of
# the source buckets.
resource "alicloud_ram_role" "oss_trigger" {
  role_name   = "${var.name_prefix}-oss-trigger"
  description = "OSS invokes fc-eventing's oss-source function"
  force       = true
  assume_role_policy_document = jsonencode({
    Version = "1"
    Statement = [{
      Action    = "sts:AssumeRole"
      Effect    = "Allow"
      Principal = { Service = ["oss.aliyuncs.com"] }
    }]
  })
}

resource "alicloud_ram_policy" "oss_trigger" {
  policy_name = "${var.name_prefix}-oss-trigger"
  description = "Invoke the oss-source function only"
  force       = true
  policy_document = jsonencode({
    Version = "1"
    Statement = [{
      Effect   = "Allow"
      Action   = ["fc:InvokeFunction"]
      Resource = [local.function_arn.oss_source, "${local.function_arn.oss_source}/*"]
    }]
  })
}

resource "alicloud_ram_role_policy_attachment" "oss_trigger" {
  role_name   = alicloud_ram_role.oss_trigger.role_name
  policy_name = alicloud_ram_policy.oss_trigger.policy_name
  policy_type = "Custom"
}

# SMQ assumes this role to push topic messages to mns-source.
resource "alicloud_ram_role" "mns_trigger" {
  role_name   = "${var.name_prefix}-mns-trigger"
  description = "SMQ invokes fc-eventing's mns-source function"
  force       = true
  assume_role_policy_document = jsonencode({
    Version = "1"
    Statement = [{
      Action    = "sts:AssumeRole"
      Effect    = "Allow"
      Principal = { Service = ["mns.aliyuncs.com"] }
    }]
  })
}

resource "alicloud_ram_policy" "mns_trigger" {
  policy_name = "${var.name_prefix}-mns-trigger"
  description = "Invoke the mns-source function only"
  force       = true
  policy_document = jsonencode({
    Version = "1"
    Statement = [{
      Effect   = "Allow"
      Action   = ["fc:InvokeFunction"]
      Resource = [local.function_arn.mns_source, "${local.function_arn.mns_source}/*"]
    }]
  })
}

resource "alicloud_ram_role_policy_attachment" "mns_trigger" {
  role_name   = alicloud_ram_role.mns_trigger.role_name
  policy_name = alicloud_ram_policy.mns_trigger.policy_name
  policy_type = "Custom"
}
