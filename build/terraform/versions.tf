terraform {
  # 1.10: the S3 backend's own lock file (use_lockfile), so no DynamoDB table is needed for state locking.
  required_version = ">= 1.10.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
  }

  # Partial configuration: bucket, key and region come from environments/<name>.s3.tfbackend
  # (terraform init -backend-config=environments/staging.s3.tfbackend), so one state per environment.
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region

  # Refuses to touch any other account, e.g. prod credentials used with staging.tfvars.
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "terraform (build/terraform)"
    }
  }
}
