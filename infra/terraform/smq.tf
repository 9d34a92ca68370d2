# The bus: sources send each event to the bus queue (or publish to the bus
# topic, which pushes it into the queue and any other subscriber); the sensor
# consumes the queue through an EventBridge event stream, and what fails past
# its retries lands in the dead-letter queue with the reason.

resource "alicloud_message_service_queue" "bus" {
  queue_name               = "${var.name_prefix}-bus"
  maximum_message_size     = 65536
  message_retention_period = var.bus_message_retention
  visibility_timeout       = var.bus_visibility_timeout
  polling_wait_seconds     = 0
}

resource "alicloud_message_service_queue" "dlq" {
  queue_name               = "${var.name_prefix}-bus-dlq"
  maximum_message_size     = 65536
  message_retention_period = var.dlq_message_retention
  visibility_timeout       = var.bus_visibility_timeout
}

resource "alicloud_message_service_topic" "bus" {
  topic_name       = "${var.name_prefix}-bus"
  max_message_size = 65536
  enable_logging   = false
}

# SIMPLIFIED hands the queue the published body unchanged, so the sensor reads
# the same CloudEvent whether a source sent it to the queue or the topic.
resource "alicloud_message_service_subscription" "bus_to_queue" {
  topic_name            = alicloud_message_service_topic.bus.topic_name
  subscription_name     = "${var.name_prefix}-bus-queue"
  endpoint              = alicloud_message_service_queue.bus.queue_name
  push_type             = "queue"
  notify_content_format = "SIMPLIFIED"
  notify_strategy       = "EXPONENTIAL_DECAY_RETRY"
}

# Event origins for mns-source: a topic (its mns_topic trigger subscribes
# itself) and a queue (read through an EventBridge event stream).
resource "alicloud_message_service_topic" "source" {
  count = var.create_source_topic ? 1 : 0

  topic_name       = "${var.name_prefix}-source"
  max_message_size = 65536
  enable_logging   = false
}

resource "alicloud_message_service_queue" "source" {
  count = var.create_source_queue ? 1 : 0

  queue_name               = "${var.name_prefix}-source-queue"
  maximum_message_size     = 65536
  message_retention_period = var.bus_message_retention
  visibility_timeout       = var.bus_visibility_timeout
}
