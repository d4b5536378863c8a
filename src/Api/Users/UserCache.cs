using System.Text.Json;
using Api.Observability;
using Api.Redis;

namespace Api.Users;

/// <summary>
/// Read-through cache of users by id in Redis. Redis is an optimisation here: when it fails, lookups
/// fall through to PostgreSQL and the failure is logged and counted, never shown to the client.
/// </summary>
public sealed partial class UserCache(
    RedisClient redis,
    UserRepository repository,
    ApiMetrics metrics,
    JsonSerializerOptions json,
    ILogger<UserCache> logger)
{
    public static readonly TimeSpan TimeToLive = TimeSpan.FromMinutes(5);

    public static string Key(Guid id) => $"user:{id:N}";

    public async Task<User?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        try
        {
            if (await redis.GetAsync(Key(id), cancellationToken).ConfigureAwait(false) is { } cached)
            {
                metrics.CacheHit();
                return JsonSerializer.Deserialize<User>(cached, json);
            }

            metrics.CacheMiss();
        }
        catch (RedisException e)
        {
            metrics.CacheError();
            LogCacheFailure(logger, "read", e.Message);
        }

        var user = await repository.FindAsync(id, cancellationToken).ConfigureAwait(false);
        if (user is not null)
        {
            try
            {
                await redis.SetAsync(Key(id), JsonSerializer.Serialize(user, json), TimeToLive, cancellationToken).ConfigureAwait(false);
            }
            catch (RedisException e)
            {
                metrics.CacheError();
                LogCacheFailure(logger, "fill", e.Message);
            }
        }

        return user;
    }

    /// <summary>
    /// Drops the cached copy after an update or delete. If Redis is unreachable the copy cannot be
    /// dropped; it then expires within <see cref="TimeToLive"/>, which bounds how stale a read can be.
    /// </summary>
    public async Task InvalidateAsync(Guid id, CancellationToken cancellationToken)
    {
        try
        {
            await redis.DeleteAsync([Key(id)], cancellationToken).ConfigureAwait(false);
        }
        catch (RedisException e)
        {
            metrics.CacheError();
            LogCacheFailure(logger, "invalidate", e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "User cache {Operation} failed, using PostgreSQL: {Reason}")]
    private static partial void LogCacheFailure(ILogger logger, string operation, string reason);
}
