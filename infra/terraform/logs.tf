# Where the functions' JSON log lines go (s.yaml's logConfig): one project
# and one logstore for all five functions, kept log_retention_days.

resource "alicloud_log_project" "functions" {
  project_name = "${var.name_prefix}-logs-${local.account_id}"
  description  = "Logs of the fc-eventing functions"
}

resource "alicloud_log_store" "functions" {
  project_name          = alicloud_log_project.functions.project_name
  logstore_name         = "functions"
  retention_period      = var.log_retention_days
  shard_count           = 1
  auto_split            = true
  max_split_shard_count = 4
}
