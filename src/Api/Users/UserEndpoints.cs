using Microsoft.AspNetCore.Identity;

namespace Api.Users;

/// <summary>The users resource under /api/users.</summary>
public static class UserEndpoints
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    public static void MapUserEndpoints(this IEndpointRouteBuilder routes)
    {
        var users = routes.MapGroup("/api/users");

        users.MapPost("", async (CreateUserRequest request, UserRepository repository, IPasswordHasher<User> hasher, CancellationToken cancellationToken) =>
        {
            var errors = UserValidation.Validate(request);
            if (errors.Count > 0)
                return Results.ValidationProblem(errors);
            var email = UserValidation.NormalizeEmail(request.Email!);
            try
            {
                var user = await repository.CreateAsync(
                    new NewUser(email, request.Name, HashPassword(hasher, request.Password!), request.SubscriptionTier ?? "free", request.Credits ?? 0),
                    cancellationToken);
                return Results.Created($"/api/users/{user.Id}", user);
            }
            catch (DuplicateEmailException)
            {
                return EmailTaken(email);
            }
        });

        users.MapGet("", async (int? limit, int? offset, UserRepository repository, CancellationToken cancellationToken) =>
        {
            var errors = new Dictionary<string, string[]>();
            if (limit is < 1 or > MaxPageSize)
                errors["limit"] = [$"limit must be between 1 and {MaxPageSize}."];
            if (offset < 0)
                errors["offset"] = ["offset must not be negative."];
            if (errors.Count > 0)
                return Results.ValidationProblem(errors);
            return Results.Ok(await repository.ListAsync(limit ?? DefaultPageSize, offset ?? 0, cancellationToken));
        });

        users.MapGet("/{id:guid}", async (Guid id, UserCache cache, CancellationToken cancellationToken) =>
            await cache.FindAsync(id, cancellationToken) is { } user ? Results.Ok(user) : NotFound(id));

        users.MapPatch("/{id:guid}", async (Guid id, UpdateUserRequest request, UserRepository repository, UserCache cache, IPasswordHasher<User> hasher, CancellationToken cancellationToken) =>
        {
            var errors = UserValidation.Validate(request);
            if (errors.Count > 0)
                return Results.ValidationProblem(errors);
            var email = request.Email is null ? null : UserValidation.NormalizeEmail(request.Email);
            var changes = new UserChanges(
                email,
                request.Name,
                request.Password is null ? null : HashPassword(hasher, request.Password),
                request.SubscriptionTier,
                request.Credits,
                request.FreeVideosUsed);
            try
            {
                var updated = await repository.UpdateAsync(id, changes, cancellationToken);
                await cache.InvalidateAsync(id, cancellationToken);
                return updated is null ? NotFound(id) : Results.Ok(updated);
            }
            catch (DuplicateEmailException)
            {
                return EmailTaken(email!);
            }
        });

        users.MapDelete("/{id:guid}", async (Guid id, UserRepository repository, UserCache cache, CancellationToken cancellationToken) =>
        {
            var deleted = await repository.DeleteAsync(id, cancellationToken);
            await cache.InvalidateAsync(id, cancellationToken);
            return deleted ? Results.NoContent() : NotFound(id);
        });
    }

    // The hasher's user argument is unused by ASP.NET Core's PBKDF2 implementation.
    private static string HashPassword(IPasswordHasher<User> hasher, string password) => hasher.HashPassword(null!, password);

    private static IResult NotFound(Guid id) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "User not found", detail: $"No user has id {id}.");

    private static IResult EmailTaken(string email) =>
        Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Email already registered", detail: $"A user with email {email} already exists.");
}
