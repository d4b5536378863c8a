using System.Text.Json;
using Api.Observability;
using Api.Redis;

namespace Api.Users;

/// <summary>
/// Read-through cache of users by id in Redis. Redis is an optimisation here: when it fails, lookups
/// fall through to PostgreSQL and the failure is logged and counted, never shown to the client.
/// </summary>
public sealed partial class UserCache(
    RedisConnection redis,
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
            var cached = await redis.Database.StringGetAsync(Key(id)).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (cached.HasValue)
            {
                metrics.CacheHit();
                return JsonSerializer.Deserialize<User>(cached.ToString(), json);
            }

            metrics.CacheMiss();
        }
        catch (Exception e) when (RedisConnection.IsFailure(e))
        {
            metrics.CacheError();
            LogCacheFailure(logger, "read", redis.Describe(e));
        }

        var user = await repository.FindAsync(id, cancellationToken).ConfigureAwait(false);
        if (user is not null)
        {
            try
            {
                await redis.Database.StringSetAsync(Key(id), JsonSerializer.Serialize(user, json), TimeToLive).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (RedisConnection.IsFailure(e))
            {
                metrics.CacheError();
                LogCacheFailure(logger, "fill", redis.Describe(e));
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
            await redis.Database.KeyDeleteAsync(Key(id)).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (RedisConnection.IsFailure(e))
        {
            metrics.CacheError();
            LogCacheFailure(logger, "invalidate", redis.Describe(e));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "User cache {Operation} failed, using PostgreSQL: {Reason}")]
    private static partial void LogCacheFailure(ILogger logger, string operation, string reason);
}
