# One repository per image of docker/images.json (PushEcr pushes them all); ECR repositories are
# account-wide, so a second environment in the same account looks them up instead.
resource "aws_ecr_repository" "images" {
  for_each = var.manage_account_resources ? toset(local.image_names) : toset([])

  name = each.value

  # Tags are immutable: a release is deployed by digest, and a tag never silently changes meaning.
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "AES256"
  }
}

resource "aws_ecr_lifecycle_policy" "images" {
  for_each = aws_ecr_repository.images

  repository = each.value.name
  # Untagged images are layers of nothing deployable; tagged releases stay for rollback.
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "expire untagged images after 14 days"
      selection = {
        tagStatus   = "untagged"
        countType   = "sinceImagePushed"
        countUnit   = "days"
        countNumber = 14
      }
      action = { type = "expire" }
    }]
  })
}

data "aws_ecr_repository" "images" {
  for_each = var.manage_account_resources ? toset([]) : toset(local.image_names)

  name = each.value
}

locals {
  # Created or looked up (one of the two maps is empty), in one shape.
  repositories = merge(
    { for name, repository in aws_ecr_repository.images : name => { arn = repository.arn, repository_url = repository.repository_url } },
    { for name, repository in data.aws_ecr_repository.images : name => { arn = repository.arn, repository_url = repository.repository_url } },
  )
  app_repository_url = local.repositories[var.app_image_name].repository_url
  app_repository_arn = local.repositories[var.app_image_name].arn
}
