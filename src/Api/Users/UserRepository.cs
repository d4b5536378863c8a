using Npgsql;
using NpgsqlTypes;

namespace Api.Users;

/// <summary>The users table (created by migration 0001), through plain SQL.</summary>
public sealed class UserRepository(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, email, name, subscription_tier, credits, free_videos_used, created_at, updated_at";
    private const string UniqueViolation = "23505";

    public async Task<User> CreateAsync(NewUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var command = dataSource.CreateCommand(
            $"""
            INSERT INTO users (email, name, password_hash, subscription_tier, credits)
            VALUES (@email, @name, @password_hash, @tier, @credits)
            RETURNING {Columns}
            """);
        command.Parameters.AddWithValue("email", user.Email);
        command.Parameters.Add(new NpgsqlParameter("name", NpgsqlDbType.Varchar) { Value = (object?)user.Name ?? DBNull.Value });
        command.Parameters.AddWithValue("password_hash", user.PasswordHash);
        command.Parameters.AddWithValue("tier", user.SubscriptionTier);
        command.Parameters.AddWithValue("credits", user.Credits);
        try
        {
            return (await ReadAsync(command, cancellationToken).ConfigureAwait(false))[0];
        }
        catch (PostgresException e) when (e.SqlState == UniqueViolation)
        {
            throw new DuplicateEmailException(user.Email, e);
        }
    }

    public async Task<User?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM users WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        return (await ReadAsync(command, cancellationToken).ConfigureAwait(false)).SingleOrDefault();
    }

    /// <summary>Users in creation order; reads one extra row to know whether another page exists.</summary>
    public async Task<UserPage> ListAsync(int limit, int offset, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {Columns} FROM users ORDER BY created_at, id LIMIT @limit OFFSET @offset");
        command.Parameters.AddWithValue("limit", limit + 1);
        command.Parameters.AddWithValue("offset", offset);
        var rows = await ReadAsync(command, cancellationToken).ConfigureAwait(false);
        var more = rows.Count > limit;
        return new UserPage(more ? rows[..limit] : rows, limit, offset, more ? offset + limit : null);
    }

    public async Task<User?> UpdateAsync(Guid id, UserChanges changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        await using var command = dataSource.CreateCommand(
            $"""
            UPDATE users SET
                email = COALESCE(@email, email),
                name = COALESCE(@name, name),
                password_hash = COALESCE(@password_hash, password_hash),
                subscription_tier = COALESCE(@tier, subscription_tier),
                credits = COALESCE(@credits, credits),
                free_videos_used = COALESCE(@free_videos_used, free_videos_used),
                updated_at = now()
            WHERE id = @id
            RETURNING {Columns}
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.Add(Nullable("email", NpgsqlDbType.Varchar, changes.Email));
        command.Parameters.Add(Nullable("name", NpgsqlDbType.Varchar, changes.Name));
        command.Parameters.Add(Nullable("password_hash", NpgsqlDbType.Varchar, changes.PasswordHash));
        command.Parameters.Add(Nullable("tier", NpgsqlDbType.Varchar, changes.SubscriptionTier));
        command.Parameters.Add(Nullable("credits", NpgsqlDbType.Integer, changes.Credits));
        command.Parameters.Add(Nullable("free_videos_used", NpgsqlDbType.Integer, changes.FreeVideosUsed));
        try
        {
            return (await ReadAsync(command, cancellationToken).ConfigureAwait(false)).SingleOrDefault();
        }
        catch (PostgresException e) when (e.SqlState == UniqueViolation)
        {
            throw new DuplicateEmailException(changes.Email ?? "", e);
        }
    }

    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM users WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    private static NpgsqlParameter Nullable(string name, NpgsqlDbType type, object? value) =>
        new(name, type) { Value = value ?? DBNull.Value };

    private static async Task<List<User>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var users = new List<User>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            users.Add(new User(
                reader.GetGuid(0),
                reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetString(3),
                reader.GetInt32(4),
                reader.GetInt32(5),
                reader.GetFieldValue<DateTimeOffset>(6),
                reader.GetFieldValue<DateTimeOffset>(7)));
        }

        return users;
    }
}
