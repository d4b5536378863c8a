using System.Net.Mail;
using System.Text.RegularExpressions;

namespace Api.Users;

/// <summary>Checks request bodies; errors are keyed by the JSON field name, ready for a 400 problem.</summary>
public static partial class UserValidation
{
    public const int MinPasswordLength = 8;
    public const int MaxPasswordLength = 128;
    private const int MaxTextLength = 255;

    public static Dictionary<string, string[]> Validate(CreateUserRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Email))
            errors["email"] = ["email is required."];
        else
            CheckEmail(request.Email, errors);
        if (request.Password is null)
            errors["password"] = ["password is required."];
        else
            CheckPassword(request.Password, errors);
        CheckCommon(request.Name, request.SubscriptionTier, request.Credits, freeVideosUsed: null, errors);
        return errors;
    }

    public static Dictionary<string, string[]> Validate(UpdateUserRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new Dictionary<string, string[]>();
        if (request.Email is not null)
            CheckEmail(request.Email, errors);
        if (request.Password is not null)
            CheckPassword(request.Password, errors);
        CheckCommon(request.Name, request.SubscriptionTier, request.Credits, request.FreeVideosUsed, errors);
        return errors;
    }

    /// <summary>Emails are compared case-insensitively, so they are stored trimmed and lower-case.</summary>
    public static string NormalizeEmail(string email)
    {
        ArgumentNullException.ThrowIfNull(email);
        return email.Trim().ToLowerInvariant();
    }

    private static void CheckEmail(string email, Dictionary<string, string[]> errors)
    {
        var trimmed = email.Trim();
        if (trimmed.Length > MaxTextLength)
            errors["email"] = [$"email must be at most {MaxTextLength} characters."];
        else if (!MailAddress.TryCreate(trimmed, out var address) || address.Address != trimmed || !trimmed.Contains('.', StringComparison.Ordinal))
            errors["email"] = ["email must be a single address like name@example.com."];
    }

    private static void CheckPassword(string password, Dictionary<string, string[]> errors)
    {
        if (password.Length is < MinPasswordLength or > MaxPasswordLength)
            errors["password"] = [$"password must be {MinPasswordLength} to {MaxPasswordLength} characters."];
    }

    private static void CheckCommon(string? name, string? tier, int? credits, int? freeVideosUsed, Dictionary<string, string[]> errors)
    {
        if (name is { Length: > MaxTextLength })
            errors["name"] = [$"name must be at most {MaxTextLength} characters."];
        if (tier is not null && !TierPattern().IsMatch(tier))
            errors["subscription_tier"] = ["subscription_tier must be 1 to 50 lower-case letters, digits, '-' or '_'."];
        if (credits < 0)
            errors["credits"] = ["credits must not be negative."];
        if (freeVideosUsed < 0)
            errors["free_videos_used"] = ["free_videos_used must not be negative."];
    }

    [GeneratedRegex("^[a-z0-9_-]{1,50}$")]
    private static partial Regex TierPattern();
}
