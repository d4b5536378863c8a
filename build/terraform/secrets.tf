# The app's secrets, as the task definition references them (valueFrom = the secret's ARN). Their values
# are composed here from generated passwords and the endpoints, so no value is ever written in code or
# in an environment file; only the state (encrypted, in S3) holds them besides Secrets Manager.

resource "aws_secretsmanager_secret" "database_url" {
  name                    = "${local.name}/DATABASE_URL"
  description             = "postgres:// URL of the app's RDS database (TLS required)"
  recovery_window_in_days = var.environment == "prod" ? 30 : 7
}

resource "aws_secretsmanager_secret_version" "database_url" {
  secret_id     = aws_secretsmanager_secret.database_url.id
  secret_string = "postgres://${aws_db_instance.postgres.username}:${random_password.postgres.result}@${aws_db_instance.postgres.address}:${aws_db_instance.postgres.port}/${aws_db_instance.postgres.db_name}?sslmode=require"
}

resource "aws_secretsmanager_secret" "redis_url" {
  name                    = "${local.name}/REDIS_URL"
  description             = "rediss:// URL (TLS and AUTH) of the app's ElastiCache replication group"
  recovery_window_in_days = var.environment == "prod" ? 30 : 7
}

resource "aws_secretsmanager_secret_version" "redis_url" {
  secret_id     = aws_secretsmanager_secret.redis_url.id
  secret_string = "rediss://:${random_password.redis_auth.result}@${aws_elasticache_replication_group.redis.primary_endpoint_address}:6379/0"
}

locals {
  app_secret_arns = [
    aws_secretsmanager_secret.database_url.arn,
    aws_secretsmanager_secret.redis_url.arn,
  ]
}
