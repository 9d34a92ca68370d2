# EventBridge delivers to the functions: the eventbridge triggers of s.yaml
# (the sensor's bus stream, mns-source's queue stream, eventbridge-source's
# rule on the default bus) need its service-linked roles. Applications put
# their own events on a custom bus, and a rule hands them to
# eventbridge-source.

resource "alicloud_event_bridge_service_linked_role" "this" {
  for_each = var.eventbridge_service_linked_roles

  product_name = each.value
}

resource "alicloud_event_bridge_event_bus" "apps" {
  count = var.app_event_bus != "" ? 1 : 0

  event_bus_name = var.app_event_bus
  description    = "Application events for fc-eventing's eventbridge-source function"
}

# The target is the function `s deploy` creates, so this rule is made in a
# second apply (route_app_bus = true) once the function exists.
resource "alicloud_event_bridge_rule" "apps_to_source" {
  count = var.app_event_bus != "" && var.route_app_bus ? 1 : 0

  event_bus_name = alicloud_event_bridge_event_bus.apps[0].event_bus_name
  rule_name      = "${var.name_prefix}-apps-to-source"
  description    = "Custom-bus events to eventbridge-source"
  filter_pattern = var.app_event_pattern

  targets {
    target_id           = "eventbridge-source"
    type                = "acs.fc.function"
    endpoint            = local.function_arn.eventbridge_source
    push_retry_strategy = "EXPONENTIAL_DECAY_RETRY"

    param_list {
      resource_key = "functionName"
      form         = "CONSTANT"
      value        = local.functions.eventbridge_source
    }
    param_list {
      resource_key = "Qualifier"
      form         = "CONSTANT"
      value        = "LATEST"
    }
    param_list {
      resource_key = "InvocationType"
      form         = "CONSTANT"
      value        = "Sync"
    }
    param_list {
      resource_key = "Body"
      form         = "ORIGINAL"
    }
  }
}
