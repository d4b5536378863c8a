# What the environment's .nuke/environments file of strategy "ecs" and the GitHub environment need.
# terraform output -json prints them all; none is secret (the secrets' values stay in Secrets Manager).

output "aws_region" {
  description = "Region of every resource (the environment file's registry.region)."
  value       = var.region
}

output "aws_account_id" {
  description = "The account (the environment file's registry.account)."
  value       = var.account_id
}

output "ecs_cluster_name" {
  description = "The ECS cluster."
  value       = aws_ecs_cluster.main.name
}

output "ecs_service_name" {
  description = "The ECS service the deploy updates."
  value       = aws_ecs_service.app.name
}

output "container_name" {
  description = "The container of the task definition whose image a deploy replaces (by digest)."
  value       = var.container_name
}

output "task_definition_family" {
  description = "The task definition family; each deploy registers a new revision of it."
  value       = aws_ecs_task_definition.app.family
}

output "load_balancer_url" {
  description = "Where smoke checks go: the public host name, served by the ALB."
  value       = "https://${var.public_host_name}"
}

output "load_balancer_dns_name" {
  description = "The ALB's own name: point public_host_name's DNS record (alias or CNAME) at it."
  value       = aws_lb.main.dns_name
}

output "task_subnet_ids" {
  description = "Subnets of the service's tasks, and of the one-off migration task (RunTask)."
  value       = aws_subnet.private[*].id
}

output "task_security_group_ids" {
  description = "Security groups of the service's tasks and of the migration task."
  value       = [aws_security_group.tasks.id]
}

output "log_group_name" {
  description = "CloudWatch log group of the app's and the migration task's containers (30-day retention)."
  value       = aws_cloudwatch_log_group.app.name
}

output "log_stream_prefix" {
  description = "awslogs stream prefix: a task's stream is <prefix>/<container>/<task id>."
  value       = var.container_name
}

output "dynamodb_table_name" {
  description = "The release ledger and deploy lock (key schema in dynamodb.tf)."
  value       = aws_dynamodb_table.delivery.name
}

output "ecr_repository_url" {
  description = "The app image's repository; PushEcr pushes there, the task definition references it by digest."
  value       = local.app_repository_url
}

output "github_deploy_role_arn" {
  description = "The role the deploy workflow assumes through OIDC: the GitHub environment's AWS_ROLE_ARN variable."
  value       = aws_iam_role.github_deploy.arn
}

output "assets_bucket_name" {
  description = "The assets bucket."
  value       = aws_s3_bucket.assets.bucket
}

output "secret_arns" {
  description = "Secrets Manager entries the task definition references by ARN (valueFrom), by variable name."
  value = {
    DATABASE_URL = aws_secretsmanager_secret.database_url.arn
    REDIS_URL    = aws_secretsmanager_secret.redis_url.arn
  }
}
