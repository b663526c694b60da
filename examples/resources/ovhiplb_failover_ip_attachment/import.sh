# The ID is service_name/ip, the IP in CIDR form (a bare IP means its /32).
terraform import ovhiplb_failover_ip_attachment.public loadbalancer-0123abcd/203.0.113.7/32
