terraform {
  required_version = ">= 1.5.7" # the oldest Terraform scripts/compat tests (README.md)

  required_providers {
    ovhiplb = {
      source = "registry.terraform.io/ovhiplb/ovhiplb"
    }
  }
}

# Credentials are not in the configuration: they come from the OVH_* environment variables
# (OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET and OVH_CONSUMER_KEY, or OVH_CLIENT_ID and
# OVH_CLIENT_SECRET, or OVH_ACCESS_TOKEN), then from ovh.conf, exactly as with OVH's official
# provider. A null endpoint falls back to OVH_ENDPOINT, then to ovh-eu.
provider "ovhiplb" {
  endpoint = var.endpoint
}
