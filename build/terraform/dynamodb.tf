# The release ledger and the deploy lock of the "ecs" strategy, one table per environment.
#
# Key schema (pk = partition key, sk = sort key, both strings):
#   lock item     pk = "lock#<environment>"    sk = "lock"
#                 holder (who: CI run or user@host), leaseExpiresAt (N, Unix seconds), version (N),
#                 and who, host, pid, since (what Releases and Unlock print, and how a dead local process is told).
#                 Acquire: PutItem with attribute_not_exists(pk) OR leaseExpiresAt < :now;
#                 renew and release: UpdateItem / DeleteItem with version = :expected, incrementing it.
#                 So of two deploys from two CI runners exactly one write succeeds; the other gets
#                 ConditionalCheckFailedException and is refused at once.
#   ledger record pk = "ledger#<environment>"  sk = "<UTC time, ISO 8601 with milliseconds>#<release version>"
#                 one item per record of a deploy or rollback (when it starts, then how it ended):
#                 version, kind, outcome, lockVersion (the writer's lock version), record (the release as
#                 JSON, as every store keeps it: images by digest, outcome, previous release). The newest record
#                 of a release is the one read. Written with PutItem and attribute_not_exists(sk): append-only,
#                 each right after the writer renewed its lock on its version (a put cannot be conditional on
#                 another item without a transaction). Read with Query on pk, oldest first.
# Lock and ledger have separate partitions so that IAM (dynamodb:LeadingKeys, iam.tf) lets the deploy role
# update and delete the lock item but only add to the ledger.
resource "aws_dynamodb_table" "delivery" {
  name         = "${local.name}-delivery"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }

  deletion_protection_enabled = var.deletion_protection
}
