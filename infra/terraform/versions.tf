terraform {
  required_version = ">= 1.5.0"

  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = ">= 1.252.0"
    }
  }
}

provider "alicloud" {
  region = var.region
}
