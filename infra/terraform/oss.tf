# Payloads over SMQ's 64 KiB travel by reference: the source stores the
# event under payload_prefix and the sensor fetches it. Nothing else lives
# here, and the lifecycle rule removes what is no longer needed.

resource "alicloud_oss_bucket" "payloads" {
  bucket        = local.payload_bucket
  force_destroy = false

  lifecycle_rule {
    id      = "expire-payloads"
    prefix  = var.payload_prefix
    enabled = true

    expiration {
      days = var.payload_expiration_days
    }

    abort_multipart_upload {
      days = 1
    }
  }

  server_side_encryption_rule {
    sse_algorithm = "AES256"
  }
}

resource "alicloud_oss_bucket_acl" "payloads" {
  bucket = alicloud_oss_bucket.payloads.bucket
  acl    = "private"
}
