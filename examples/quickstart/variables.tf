variable "endpoint" {
  description = "OVHcloud API endpoint: an alias such as ovh-eu, or a base URL (the simulator's). Null: OVH_ENDPOINT, then ovh-eu."
  type        = string
  default     = null
}

variable "service_name" {
  description = "Service name of the IP Load Balancer, e.g. loadbalancer-0123abcd."
  type        = string
}

variable "zone" {
  description = "Zone of the frontends: one of the load balancer's zones, or all."
  type        = string
  default     = "all"
}

variable "failover_ip" {
  description = "A failover IP (or block) to route to the load balancer and share between its frontends."
  type        = string
}

variable "http_failover_ip" {
  description = "A failover IP routed to the load balancer and dedicated to the HTTP frontend."
  type        = string
}

variable "tcp_failover_ip" {
  description = "A failover IP routed to the load balancer and dedicated to the TCP frontend."
  type        = string
}

variable "http_farm_id" {
  description = "ID of an existing HTTP farm of the load balancer: the HTTP frontend's default farm."
  type        = number
}

variable "tcp_farm_id" {
  description = "ID of an existing TCP farm of the load balancer: the TCP frontend's default farm."
  type        = number
}

variable "udp_farm_id" {
  description = "ID of an existing UDP farm of the load balancer: the UDP frontend's default farm."
  type        = number
}
