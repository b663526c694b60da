# Values matching sim-fixture.json, the account `scripts/demo` and the tests simulate. Credentials
# and the endpoint come from the OVH_* environment variables they set.
service_name     = "loadbalancer-0123abcd"
failover_ip      = "203.0.113.7"
http_failover_ip = "203.0.113.8"
tcp_failover_ip  = "203.0.113.9"
http_farm_id     = 11
tcp_farm_id      = 12
udp_farm_id      = 13
