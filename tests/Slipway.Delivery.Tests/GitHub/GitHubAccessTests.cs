using Slipway.Delivery.GitHub;

namespace Slipway.Delivery.Tests.GitHub;

public sealed class GitHubAccessTests
{
    private static GitHubAccess Resolve(string? origin, params (string Name, string Value)[] variables)
    {
        var values = variables.ToDictionary(v => v.Name, v => (string?)v.Value);
        return GitHubAccess.Resolve(values.GetValueOrDefault, origin, TimeSpan.FromSeconds(1));
    }

    [Theory]
    [InlineData("https://github.com/octo-org/slipway.git")]
    [InlineData("https://github.com/octo-org/slipway")]
    [InlineData("https://x-access-token:ghs_secret@github.com/octo-org/slipway.git")]
    [InlineData("git@github.com:octo-org/slipway.git")]
    [InlineData("ssh://git@github.com/octo-org/slipway.git")]
    [InlineData("ssh://git@github.com:22/octo-org/slipway")]
    public void The_repository_comes_from_the_origin_remote_in_https_and_ssh_forms(string origin)
    {
        var access = Resolve(origin, ("GITHUB_TOKEN", GitHubOutput.Token));

        Assert.Equal("octo-org/slipway", access.Api!.Repository.ToString());
        Assert.Equal(new Uri("https://api.github.com"), access.Api.ApiUrl);
    }

    [Fact]
    public void GITHUB_REPOSITORY_wins_over_the_remote_and_GITHUB_API_URL_over_api_github_com()
    {
        var access = Resolve("git@github.com:someone/fork.git", ("GH_TOKEN", GitHubOutput.Token), ("GITHUB_REPOSITORY", "octo-org/slipway"), ("GITHUB_API_URL", "https://ghe.example.com/api/v3"));

        Assert.Equal("octo-org/slipway", access.Api!.Repository.ToString());
        Assert.Equal(new Uri("https://ghe.example.com/api/v3"), access.Api.ApiUrl);
    }

    [Fact]
    public void A_GitHub_Enterprise_remote_counts_on_GITHUB_SERVER_URL_s_host()
    {
        var access = Resolve("git@ghe.example.com:octo-org/slipway.git", ("GITHUB_TOKEN", GitHubOutput.Token), ("GITHUB_SERVER_URL", "https://ghe.example.com"));

        Assert.Equal("octo-org/slipway", access.Api!.Repository.ToString());
    }

    [Theory]
    [InlineData("https://gitlab.com/octo-org/slipway.git")]
    [InlineData("https://oauth2:glpat_secret@gitlab.com/octo-org/slipway.git")]
    [InlineData("/srv/git/slipway.git")]
    [InlineData(null)]
    public void Without_a_GitHub_remote_there_is_no_access_and_the_reason_hides_the_remote(string? origin)
    {
        var access = Resolve(origin, ("GITHUB_TOKEN", GitHubOutput.Token));

        Assert.Null(access.Api);
        Assert.Equal("no GitHub remote (origin is not a github.com repository and GITHUB_REPOSITORY is unset)", access.Unavailable);
    }

    [Fact]
    public void Without_a_token_there_is_no_access()
    {
        var access = Resolve("git@github.com:octo-org/slipway.git", ("GITHUB_TOKEN", " "));

        Assert.Null(access.Api);
        Assert.Equal("no GITHUB_TOKEN or GH_TOKEN", access.Unavailable);
    }
}
