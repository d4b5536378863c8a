variable "environment" {
  description = "The Slipway environment this state describes: the name of its .nuke/environments file (staging or prod)."
  type        = string
  validation {
    condition     = contains(["staging", "prod"], var.environment)
    error_message = "environment must be staging or prod."
  }
}

variable "project" {
  description = "Prefix of every resource name."
  type        = string
  default     = "slipway"
}

variable "account_id" {
  description = "The 12-digit AWS account this environment lives in; the provider refuses any other."
  type        = string
  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id."
  }
}

variable "region" {
  description = "AWS region, e.g. eu-west-1."
  type        = string
}

variable "vpc_cidr" {
  description = "The VPC's address range; split into public and private /20 subnets, one of each per availability zone."
  type        = string
}

variable "availability_zone_count" {
  description = "How many availability zones the subnets span (the ALB needs at least two)."
  type        = number
  default     = 2
  validation {
    condition     = var.availability_zone_count >= 2 && var.availability_zone_count <= 4
    error_message = "availability_zone_count must be 2 to 4."
  }
}

variable "nat_gateway_per_zone" {
  description = "One NAT gateway per availability zone (survives a zone outage) instead of one shared."
  type        = bool
  default     = false
}

variable "public_host_name" {
  description = "The host name the service is reached at (its DNS record points at the ALB; the certificate covers it)."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate for public_host_name, in the same region, for the ALB's HTTPS listener."
  type        = string
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose deploy workflow may assume the deploy role."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "github_environment" {
  description = "The GitHub Actions environment of the deploy jobs (the generated deploy.yml names them staging and production)."
  type        = string
}

variable "manage_account_resources" {
  description = "Create the account-wide resources: the GitHub OIDC provider and the ECR repositories. Set false for the second environment when staging and prod share one AWS account; it then looks them up."
  type        = bool
  default     = true
}

variable "app_image_name" {
  description = "The image the ECS service runs: an entry of docker/images.json, pushed by ./build.sh PushEcr."
  type        = string
  default     = "slipway-api"
}

variable "container_name" {
  description = "The container of the task definition that runs the app (the ECS environment file names it)."
  type        = string
  default     = "api"
}

variable "container_port" {
  description = "The port the app listens on in its container (the API's PORT default)."
  type        = number
  default     = 8080
}

variable "task_cpu" {
  description = "Fargate task CPU units (256, 512, 1024, ...)."
  type        = number
  default     = 512
}

variable "task_memory" {
  description = "Fargate task memory in MiB, valid for task_cpu."
  type        = number
  default     = 1024
}

variable "desired_count" {
  description = "Running tasks of the service. With the circuit breaker on, ECS fails a deployment after max(3, min(200, desired_count / 2)) failed tasks."
  type        = number
  default     = 2
}

variable "deregistration_delay_seconds" {
  description = "How long the ALB drains an old task's connections before ECS stops it."
  type        = number
  default     = 30
}

variable "health_check_grace_period_seconds" {
  description = "Seconds ECS ignores failing ALB health checks of a new task (startup)."
  type        = number
  default     = 30
}

variable "postgres_engine_version" {
  description = "RDS PostgreSQL major (or major.minor) version."
  type        = string
  default     = "16"
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
}

variable "db_allocated_storage_gb" {
  description = "RDS storage in GiB (gp3)."
  type        = number
  default     = 20
}

variable "db_multi_az" {
  description = "A standby in a second availability zone."
  type        = bool
}

variable "db_backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery window)."
  type        = number
}

variable "deletion_protection" {
  description = "Protects the database, the ledger table and the ALB from terraform destroy and console deletion."
  type        = bool
}

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
}

variable "redis_replicas" {
  description = "Read replicas besides the primary; one or more turns on automatic failover."
  type        = number
  default     = 0
}

variable "redis_engine_version" {
  description = "Redis OSS engine version (AUTH with transit encryption needs 6 or later)."
  type        = string
  default     = "7.1"
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the service's and the migration task's log lines."
  type        = number
  default     = 30
}
