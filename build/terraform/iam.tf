# --- The tasks' roles ------------------------------------------------------------------------------

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

# Used by ECS itself to start a task: pull the image, write its logs, read the secrets it references.
resource "aws_iam_role" "task_execution" {
  name               = "${local.name}-task-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "task_execution" {
  statement {
    sid       = "EcrAuth"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # the action has no resource-level permissions
  }

  statement {
    sid       = "PullAppImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    resources = [local.app_repository_arn]
  }

  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [aws_cloudwatch_log_group.app.arn, "${aws_cloudwatch_log_group.app.arn}:*"] # the group and its streams
  }

  statement {
    sid       = "ReadAppSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = local.app_secret_arns
  }
}

resource "aws_iam_role_policy" "task_execution" {
  name   = "start-task"
  role   = aws_iam_role.task_execution.id
  policy = data.aws_iam_policy_document.task_execution.json
}

# The app's own identity inside the task: only the assets bucket.
resource "aws_iam_role" "task" {
  name               = "${local.name}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "task" {
  statement {
    sid       = "AssetsBucket"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.assets.arn]
  }

  statement {
    sid       = "AssetsObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.assets.arn}/*"]
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "app"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

# --- GitHub Actions: OIDC, no stored keys ---------------------------------------------------------

# One per account: a second environment in the same account looks it up (manage_account_resources = false).
resource "aws_iam_openid_connect_provider" "github" {
  count = var.manage_account_resources ? 1 : 0

  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
  # No thumbprint_list: IAM trusts GitHub's OIDC endpoint through its own library of root CAs.
}

data "aws_iam_openid_connect_provider" "github" {
  count = var.manage_account_resources ? 0 : 1

  url = "https://token.actions.githubusercontent.com"
}

locals {
  github_oidc_provider_arn = var.manage_account_resources ? aws_iam_openid_connect_provider.github[0].arn : data.aws_iam_openid_connect_provider.github[0].arn
}

# Only the repository's jobs that run in this GitHub environment (which can require approval) may assume it.
data "aws_iam_policy_document" "github_assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:${var.github_repository}:environment:${var.github_environment}"]
    }
  }
}

resource "aws_iam_role" "github_deploy" {
  name                 = "${local.name}-github-deploy"
  description          = "Assumed by ${var.github_repository}'s deploy workflow (environment ${var.github_environment}) through GitHub OIDC"
  assume_role_policy   = data.aws_iam_policy_document.github_assume.json
  max_session_duration = 3600
}

locals {
  cluster_arn            = aws_ecs_cluster.main.arn
  service_arn            = "arn:${data.aws_partition.current.partition}:ecs:${var.region}:${var.account_id}:service/${aws_ecs_cluster.main.name}/${aws_ecs_service.app.name}"
  task_definition_arns   = "arn:${data.aws_partition.current.partition}:ecs:${var.region}:${var.account_id}:task-definition/${aws_ecs_task_definition.app.family}:*"
  task_arns              = "arn:${data.aws_partition.current.partition}:ecs:${var.region}:${var.account_id}:task/${aws_ecs_cluster.main.name}/*"
  pushed_repository_arns = [for name in local.image_names : local.repositories[name].arn]
}

# Exactly what ./build.sh PushEcr and Deploy/Rollback with the "ecs" strategy do, on this environment's
# resources only.
data "aws_iam_policy_document" "github_deploy" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # no resource-level permissions
  }

  statement {
    sid = "EcrPush"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:InitiateLayerUpload",
      "ecr:UploadLayerPart",
      "ecr:CompleteLayerUpload",
      "ecr:PutImage",
      "ecr:BatchGetImage",
    ]
    resources = local.pushed_repository_arns
  }

  # PushEcr makes sure each repository exists by calling CreateRepository and taking RepositoryAlreadyExists
  # as yes; IAM is checked first, so without this it would be AccessDenied. Held to the repositories above,
  # it can create none that this configuration does not already manage.
  statement {
    sid       = "EcrEnsureRepository"
    actions   = ["ecr:CreateRepository"]
    resources = local.pushed_repository_arns
  }

  # RegisterTaskDefinition and DescribeTaskDefinition take no resource ARN.
  statement {
    sid       = "EcsTaskDefinitions"
    actions   = ["ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition"]
    resources = ["*"]
  }

  statement {
    sid       = "EcsService"
    actions   = ["ecs:UpdateService", "ecs:DescribeServices"]
    resources = [local.service_arn]
  }

  # The release phase: the migration task runs once from the new revision, on this cluster only.
  statement {
    sid       = "EcsMigrationTask"
    actions   = ["ecs:RunTask"]
    resources = [local.task_definition_arns]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [local.cluster_arn]
    }
  }

  # StopTask: a deploy stopped (Ctrl+C, its timeout) stops the migration task it started.
  statement {
    sid       = "EcsTasks"
    actions   = ["ecs:DescribeTasks", "ecs:StopTask"]
    resources = [local.task_arns]
  }

  statement {
    sid       = "EcsListTasks"
    actions   = ["ecs:ListTasks"]
    resources = ["*"] # ListTasks is scoped by the cluster condition, not by resource
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [local.cluster_arn]
    }
  }

  # RegisterTaskDefinition and RunTask hand these two roles to ECS; no other role may be passed.
  statement {
    sid       = "PassTaskRoles"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.task_execution.arn, aws_iam_role.task.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  # The migration task's log lines (shown when it fails) and a stopped task's last lines.
  statement {
    sid       = "ReadTaskLogs"
    actions   = ["logs:GetLogEvents", "logs:FilterLogEvents"]
    resources = [aws_cloudwatch_log_group.app.arn, "${aws_cloudwatch_log_group.app.arn}:*"] # the group and its streams
  }

  # The deploy lock: take, renew and release the one lock item of this environment.
  statement {
    sid       = "DeployLock"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
    resources = [aws_dynamodb_table.delivery.arn]
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:LeadingKeys"
      values   = ["lock#${var.environment}"]
    }
  }

  # The ledger: read and append only (no UpdateItem or DeleteItem on its partition).
  statement {
    sid       = "ReleaseLedger"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"]
    resources = [aws_dynamodb_table.delivery.arn]
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:LeadingKeys"
      values   = ["ledger#${var.environment}"]
    }
  }
}

resource "aws_iam_role_policy" "github_deploy" {
  name   = "deploy"
  role   = aws_iam_role.github_deploy.id
  policy = data.aws_iam_policy_document.github_deploy.json
}
