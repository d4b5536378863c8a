# terraform plan -var-file=environments/staging.tfvars (after init with staging.s3.tfbackend)
environment        = "staging"
account_id         = "123456789012"
region             = "eu-west-1"
vpc_cidr           = "10.20.0.0/16"
public_host_name   = "staging.slipway.example.com"
certificate_arn    = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
github_repository  = "example-org/slipway"
# The GitHub environment whose jobs may assume the deploy role: deploy-ecs.yml deploys .nuke/environments/ecs.json,
# whose names are this file's outputs.
github_environment = "ecs"

# Staging and prod share the example account: staging creates the ECR repositories and the OIDC provider.
manage_account_resources = true

desired_count            = 2
db_instance_class        = "db.t4g.micro"
db_multi_az              = false
db_backup_retention_days = 1
deletion_protection      = false
redis_node_type          = "cache.t4g.micro"
redis_replicas           = 0
