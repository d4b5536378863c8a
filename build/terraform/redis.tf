resource "aws_elasticache_subnet_group" "redis" {
  name       = "${local.name}-redis"
  subnet_ids = aws_subnet.private[*].id
}

# The AUTH token: generated, kept only in the (encrypted) state and in the REDIS_URL secret.
# ElastiCache allows 16-128 printable characters without / " @ %.
resource "random_password" "redis_auth" {
  length  = 64
  special = false
}

resource "aws_elasticache_replication_group" "redis" {
  replication_group_id = "${local.name}-redis"
  description          = "Slipway ${var.environment} cache"

  engine               = "redis"
  engine_version       = var.redis_engine_version
  node_type            = var.redis_node_type
  port                 = 6379
  num_cache_clusters   = 1 + var.redis_replicas
  parameter_group_name = "default.redis7"

  automatic_failover_enabled = var.redis_replicas > 0
  multi_az_enabled           = var.redis_replicas > 0

  subnet_group_name  = aws_elasticache_subnet_group.redis.name
  security_group_ids = [aws_security_group.redis.id]

  # TLS in transit (clients connect with rediss://) and AUTH; at rest encrypted as well.
  transit_encryption_enabled = true
  auth_token                 = random_password.redis_auth.result
  auth_token_update_strategy = "ROTATE"
  at_rest_encryption_enabled = true

  snapshot_retention_limit = var.environment == "prod" ? 7 : 0
  apply_immediately        = false
}
