# terraform plan -var-file=environments/prod.tfvars (after init with prod.s3.tfbackend)
environment        = "prod"
account_id         = "123456789012"
region             = "eu-west-1"
vpc_cidr           = "10.30.0.0/16"
public_host_name   = "slipway.example.com"
certificate_arn    = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-1111-1111-1111-111111111111"
github_repository  = "example-org/slipway"
github_environment = "production"

# Same account as staging, which owns the ECR repositories and the OIDC provider: look them up.
# In an account of its own, set true.
manage_account_resources = false

nat_gateway_per_zone     = true
desired_count            = 3
db_instance_class        = "db.t4g.small"
db_multi_az              = true
db_backup_retention_days = 14
deletion_protection      = true
redis_node_type          = "cache.t4g.small"
redis_replicas           = 1
