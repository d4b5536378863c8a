using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Api.Tests.Support;
using Api.Users;
using Microsoft.AspNetCore.Identity;

namespace Api.Tests;

public sealed class UserEndpointTests(ServiceFixture service) : IClassFixture<ServiceFixture>
{
    private static string UniqueEmail() => $"user-{Guid.NewGuid():N}@example.com";

    private async Task<JsonElement> CreateAsync(object body)
    {
        using var response = await service.Client.PostAsJsonAsync("/api/users", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var user = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal($"/api/users/{user.GetProperty("id").GetGuid()}", response.Headers.Location!.ToString());
        return user;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    [ServiceFact]
    public async Task Create_stores_a_pbkdf2_hash_applies_defaults_and_never_returns_the_password()
    {
        var email = UniqueEmail();
        using var response = await service.Client.PostAsJsonAsync("/api/users", new { email = "  " + email.ToUpperInvariant(), name = "Ada", password = "correct horse battery" });
        var raw = await response.Content.ReadAsStringAsync();
        var user = JsonSerializer.Deserialize<JsonElement>(raw);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.DoesNotContain("password", raw, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("correct horse", raw, StringComparison.Ordinal);
        Assert.Equal(email, user.GetProperty("email").GetString());
        Assert.Equal("Ada", user.GetProperty("name").GetString());
        Assert.Equal("free", user.GetProperty("subscription_tier").GetString());
        Assert.Equal(0, user.GetProperty("credits").GetInt32());
        Assert.Equal(0, user.GetProperty("free_videos_used").GetInt32());

        var hash = await service.Database.ScalarAsync<string>("SELECT password_hash FROM users WHERE id = @id", ("id", user.GetProperty("id").GetGuid()));
        Assert.NotNull(hash);
        Assert.DoesNotContain("correct horse", hash, StringComparison.Ordinal);
        var hasher = new PasswordHasher<User>();
        Assert.Equal(PasswordVerificationResult.Success, hasher.VerifyHashedPassword(null!, hash, "correct horse battery"));
        Assert.Equal(PasswordVerificationResult.Failed, hasher.VerifyHashedPassword(null!, hash, "wrong password"));
    }

    [ServiceFact]
    public async Task Invalid_bodies_are_rfc7807_validation_problems_naming_each_field()
    {
        using var response = await service.Client.PostAsJsonAsync("/api/users", new { email = "not-an-email", password = "short", subscription_tier = "Gold Plan!", credits = -1 });

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.Equal(["credits", "email", "password", "subscription_tier"], errors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Contains("name@example.com", errors.GetProperty("email")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await service.Database.ScalarAsync<long>("SELECT count(*) FROM users WHERE email = 'not-an-email'"));
    }

    [ServiceFact]
    public async Task Missing_required_fields_and_malformed_json_are_400_problems()
    {
        using var missing = await service.Client.PostAsJsonAsync("/api/users", new { name = "nobody" });
        using var malformed = await service.Client.PostAsync("/api/users", new StringContent("{\"email\":", System.Text.Encoding.UTF8, "application/json"));

        var errors = (await ProblemAsync(missing, HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.Equal("email is required.", errors.GetProperty("email")[0].GetString());
        Assert.Equal("password is required.", errors.GetProperty("password")[0].GetString());
        await ProblemAsync(malformed, HttpStatusCode.BadRequest);
    }

    [ServiceFact]
    public async Task A_duplicate_email_is_a_409_problem_whatever_its_case()
    {
        var email = UniqueEmail();
        await CreateAsync(new { email, password = "password-one" });

        using var again = await service.Client.PostAsJsonAsync("/api/users", new { email = email.ToUpperInvariant(), password = "password-two" });

        var problem = await ProblemAsync(again, HttpStatusCode.Conflict);
        Assert.Equal("Email already registered", problem.GetProperty("title").GetString());
        Assert.Equal(1, await service.Database.ScalarAsync<long>("SELECT count(*) FROM users WHERE email = @e", ("e", email)));
    }

    [ServiceFact]
    public async Task Get_reads_through_the_redis_cache_and_update_invalidates_it()
    {
        var created = await CreateAsync(new { email = UniqueEmail(), password = "password-one", credits = 5 });
        var id = created.GetProperty("id").GetGuid();
        var key = UserCache.Key(id);
        Assert.Null(await service.CachedAsync(key));

        var first = await service.Client.GetFromJsonAsync<JsonElement>($"/api/users/{id}");
        Assert.Equal(5, first.GetProperty("credits").GetInt32());
        var cached = await service.CachedAsync(key);
        Assert.NotNull(cached);
        Assert.DoesNotContain("password", cached, StringComparison.OrdinalIgnoreCase);

        // A change made behind the API's back is invisible while the cached copy lives: proof the read was a hit.
        await service.Database.ScalarAsync<object>("UPDATE users SET credits = 99 WHERE id = @id", ("id", id));
        var second = await service.Client.GetFromJsonAsync<JsonElement>($"/api/users/{id}");
        Assert.Equal(5, second.GetProperty("credits").GetInt32());

        using var patch = await service.Client.PatchAsJsonAsync($"/api/users/{id}", new { name = "Renamed", free_videos_used = 2 });
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        Assert.Null(await service.CachedAsync(key));

        var third = await service.Client.GetFromJsonAsync<JsonElement>($"/api/users/{id}");
        Assert.Equal("Renamed", third.GetProperty("name").GetString());
        Assert.Equal(99, third.GetProperty("credits").GetInt32());
        Assert.Equal(2, third.GetProperty("free_videos_used").GetInt32());
        Assert.True(third.GetProperty("updated_at").GetDateTimeOffset() > created.GetProperty("updated_at").GetDateTimeOffset());

        var metrics = await service.Client.GetStringAsync("/metrics");
        Assert.Matches("user_cache_requests_total\\{result=\"hit\"\\} [1-9]", metrics);
        Assert.Matches("user_cache_requests_total\\{result=\"miss\"\\} [1-9]", metrics);
    }

    [ServiceFact]
    public async Task Patch_changes_the_password_hash_and_validates_and_detects_conflicts()
    {
        var taken = UniqueEmail();
        await CreateAsync(new { email = taken, password = "password-one" });
        var user = await CreateAsync(new { email = UniqueEmail(), password = "password-one" });
        var id = user.GetProperty("id").GetGuid();

        using var newPassword = await service.Client.PatchAsJsonAsync($"/api/users/{id}", new { password = "password-two" });
        using var invalid = await service.Client.PatchAsJsonAsync($"/api/users/{id}", new { credits = -3 });
        using var conflict = await service.Client.PatchAsJsonAsync($"/api/users/{id}", new { email = taken });
        using var unknown = await service.Client.PatchAsJsonAsync($"/api/users/{Guid.NewGuid()}", new { name = "x" });

        Assert.Equal(HttpStatusCode.OK, newPassword.StatusCode);
        var hash = await service.Database.ScalarAsync<string>("SELECT password_hash FROM users WHERE id = @id", ("id", id));
        Assert.Equal(PasswordVerificationResult.Success, new PasswordHasher<User>().VerifyHashedPassword(null!, hash!, "password-two"));
        Assert.True((await ProblemAsync(invalid, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("credits", out _));
        await ProblemAsync(conflict, HttpStatusCode.Conflict);
        await ProblemAsync(unknown, HttpStatusCode.NotFound);
    }

    [ServiceFact]
    public async Task Delete_removes_the_user_and_its_cached_copy()
    {
        var id = (await CreateAsync(new { email = UniqueEmail(), password = "password-one" })).GetProperty("id").GetGuid();
        (await service.Client.GetAsync($"/api/users/{id}")).Dispose();
        Assert.NotNull(await service.CachedAsync(UserCache.Key(id)));

        using var deleted = await service.Client.DeleteAsync($"/api/users/{id}");
        using var gone = await service.Client.GetAsync($"/api/users/{id}");
        using var again = await service.Client.DeleteAsync($"/api/users/{id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Null(await service.CachedAsync(UserCache.Key(id)));
        await ProblemAsync(gone, HttpStatusCode.NotFound);
        await ProblemAsync(again, HttpStatusCode.NotFound);
    }

    [ServiceFact]
    public async Task With_redis_down_users_are_still_served_from_postgresql_and_the_failure_is_counted()
    {
        await using var withoutRedis = await RunningApi.StartAsync(new Dictionary<string, string>
        {
            ["DATABASE_URL"] = service.Database.Url,
            ["REDIS_URL"] = $"redis://127.0.0.1:{FreePort.Next()}",
        });
        using var created = await withoutRedis.Client.PostAsJsonAsync("/api/users", new { email = UniqueEmail(), password = "password-one" });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        using var read = await withoutRedis.Client.GetAsync($"/api/users/{id}");
        using var patched = await withoutRedis.Client.PatchAsJsonAsync($"/api/users/{id}", new { credits = 7 });

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(id, (await read.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
        Assert.Equal(7, (await patched.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("credits").GetInt32());
        // One failed read and one failed fill for the GET, one failed invalidation for the PATCH.
        Assert.Contains("user_cache_requests_total{result=\"error\"} 3\n", await withoutRedis.Client.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    [ServiceFact]
    public async Task A_malformed_id_is_a_404_problem()
    {
        using var response = await service.Client.GetAsync("/api/users/not-a-guid");

        await ProblemAsync(response, HttpStatusCode.NotFound);
    }
}
