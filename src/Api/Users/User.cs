namespace Api.Users;

/// <summary>A user as the API shows it: everything but the password hash.</summary>
public sealed record User(
    Guid Id,
    string Email,
    string? Name,
    string SubscriptionTier,
    int Credits,
    int FreeVideosUsed,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>POST /api/users body.</summary>
public sealed record CreateUserRequest(
    string? Email,
    string? Name,
    string? Password,
    string? SubscriptionTier,
    int? Credits);

/// <summary>PATCH /api/users/{id} body; absent (null) fields stay as they are.</summary>
public sealed record UpdateUserRequest(
    string? Email,
    string? Name,
    string? Password,
    string? SubscriptionTier,
    int? Credits,
    int? FreeVideosUsed);

/// <summary>One page of GET /api/users; <see cref="NextOffset"/> is null on the last page.</summary>
public sealed record UserPage(IReadOnlyList<User> Items, int Limit, int Offset, int? NextOffset);

/// <summary>Validated values for an insert.</summary>
public sealed record NewUser(string Email, string? Name, string PasswordHash, string SubscriptionTier, int Credits);

/// <summary>Validated values for an update; null means unchanged.</summary>
public sealed record UserChanges(
    string? Email,
    string? Name,
    string? PasswordHash,
    string? SubscriptionTier,
    int? Credits,
    int? FreeVideosUsed);
