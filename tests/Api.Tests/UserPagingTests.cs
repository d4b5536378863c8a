using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Api.Tests.Support;

namespace Api.Tests;

/// <summary>Its own fixture, hence its own empty database, so the pages are exactly predictable.</summary>
public sealed class UserPagingTests(ServiceFixture service) : IClassFixture<ServiceFixture>
{
    [ServiceFact]
    public async Task List_pages_in_creation_order_with_next_offset_until_the_last_page()
    {
        var emails = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var email = $"page{i}-{Guid.NewGuid():N}@example.com";
            emails.Add(email);
            (await service.Client.PostAsJsonAsync("/api/users", new { email, password = "password-one" })).Dispose();
        }

        var seen = new List<string>();
        var offsets = new List<int?>();
        int? offset = 0;
        while (offset is { } current)
        {
            var page = await service.Client.GetFromJsonAsync<JsonElement>($"/api/users?limit=2&offset={current}");
            Assert.Equal(2, page.GetProperty("limit").GetInt32());
            Assert.Equal(current, page.GetProperty("offset").GetInt32());
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(u => u.GetProperty("email").GetString()!));
            Assert.All(page.GetProperty("items").EnumerateArray(), u => Assert.False(u.TryGetProperty("password_hash", out _)));
            offset = page.GetProperty("next_offset").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next_offset").GetInt32();
            offsets.Add(offset);
        }

        Assert.Equal(emails, seen);
        Assert.Equal([2, 4, null], offsets);
        var defaults = await service.Client.GetFromJsonAsync<JsonElement>("/api/users");
        Assert.Equal(20, defaults.GetProperty("limit").GetInt32());
        Assert.Equal(5, defaults.GetProperty("items").GetArrayLength());
    }

    [ServiceFact]
    public async Task Out_of_range_paging_is_a_validation_problem()
    {
        using var response = await service.Client.GetAsync("/api/users?limit=1000&offset=-1");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("limit", out _));
        Assert.True(errors.TryGetProperty("offset", out _));
    }
}
