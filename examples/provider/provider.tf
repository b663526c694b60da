terraform {
  required_providers {
    ovhiplb = {
      source = "registry.terraform.io/ovhiplb/ovhiplb"
    }
  }
}

# With no argument, everything comes from the OVH_* environment variables, then from ovh.conf,
# as with OVH's official provider: switching needs no change to your credentials.
provider "ovhiplb" {}

# Or explicitly, e.g. an OAuth2 service account on the Canadian API, with more retries and a
# User-Agent suffix naming the pipeline. Secrets belong in variables, never in the code.
provider "ovhiplb" {
  alias = "ca"

  endpoint         = "ovh-ca"
  client_id        = var.ovh_client_id
  client_secret    = var.ovh_client_secret
  max_retries      = 8
  user_agent_extra = "ci-pipeline/infra-lb"
}

variable "ovh_client_id" {
  type = string
}

variable "ovh_client_secret" {
  type      = string
  sensitive = true
}
