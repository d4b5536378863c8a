# The AWS side of the "ecs" strategy: one environment (staging or prod) per state. What each file holds:
#   network.tf VPC, subnets, routes       security_groups.tf who may reach whom
#   alb.tf     the load balancer          ecs.tf cluster, task definition, service, log group
#   ecr.tf     image repositories         database.tf RDS PostgreSQL      redis.tf ElastiCache Redis
#   dynamodb.tf the release ledger and deploy lock                     s3.tf the assets bucket
#   secrets.tf Secrets Manager entries    iam.tf task roles, GitHub OIDC provider and deploy role
#   outputs.tf every name the ECS environment file uses

locals {
  name = "${var.project}-${var.environment}"

  # The images ./build.sh PushEcr pushes: ECR needs a repository for each before the first push.
  image_names = [for image in jsondecode(file("${path.module}/../../docker/images.json")).images : image.name]

  zones = slice(data.aws_availability_zones.available.names, 0, var.availability_zone_count)
}

data "aws_availability_zones" "available" {
  state = "available"
}

data "aws_partition" "current" {}
