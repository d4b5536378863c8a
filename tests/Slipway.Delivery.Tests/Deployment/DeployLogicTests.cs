using Slipway.Delivery.Deployment;
using Slipway.Delivery.Deployment.SmokeTests;

namespace Slipway.Delivery.Tests.Deployment;

public sealed class DeployLogicTests
{
    private const string Upstream = "# The API's address.\nupstream api {\n    server api:8080;\n    keepalive 32;\n}\n";

    [Fact]
    public void The_upstream_include_is_rewritten_in_place_keeping_everything_else()
    {
        var rewritten = NginxUpstream.Rewrite(Upstream, "slipway-local-api-green:8080");

        Assert.Equal("# The API's address.\nupstream api {\n    server slipway-local-api-green:8080;\n    keepalive 32;\n}\n", rewritten);
        Assert.Equal("slipway-local-api-green:8080", NginxUpstream.ServerOf(rewritten));
        Assert.Equal(Colours.Green, Colours.Of(NginxUpstream.ServerOf(rewritten)));
        Assert.Null(Colours.Of(NginxUpstream.ServerOf(Upstream)));
    }

    [Fact]
    public void Several_servers_become_the_one_live_colour()
    {
        var rewritten = NginxUpstream.Rewrite("upstream api {\n    server a-blue:8080;\n    server a-green:8080 backup;\n}\n", "a-green:8080");
        Assert.Equal("upstream api {\n    server a-green:8080;\n}\n", rewritten);
    }

    [Fact]
    public void An_include_without_a_server_line_cannot_be_switched() =>
        Assert.Throws<DeployFailedException>(() => NginxUpstream.Rewrite("upstream api { }", "x:1"));

    [Fact]
    public void The_nginx_prefix_and_config_arguments_come_from_its_command() =>
        Assert.Equal(["-p", "/etc/nginx/", "-c", "/etc/nginx/nginx.conf"], NginxUpstream.ConfigArguments(["-p", "/etc/nginx/", "-c", "/etc/nginx/nginx.conf", "-g", "daemon off;"]));

    private static Release Release(string version, ReleaseOutcome outcome, int minute, ReleaseKind kind = ReleaseKind.Deploy) =>
        new(version, kind, "blue", "ops@host", new DateTimeOffset(2026, 1, 1, 12, minute, 0, TimeSpan.Zero), null,
            new Dictionary<string, string> { ["api"] = $"r/api@sha256:{version.Replace(".", "", StringComparison.Ordinal)}0000000000000" }, "3", outcome, null);

    /// <summary>A deploy of <paramref name="version"/> that replaced <paramref name="before"/> (what served then).</summary>
    private static Release Deployed(string version, int minute, Release? before, ReleaseOutcome outcome = ReleaseOutcome.Succeeded) =>
        Release(version, outcome, minute) with { Previous = before?.Version, PreviousStartedAt = before?.StartedAt };

    private static ServingRelease Serving(Release release) => new(release.Version, release.Images["api"], "nginx → p-prod-api-blue");

    private static RollbackChoice Choose(IReadOnlyList<Release> releases, Release serving, string? toVersion = null, List<string>? log = null) =>
        ReleaseLedger.ChooseRollback(releases, Serving(serving), toVersion, "prod", "api", (log ?? []).Add);

    [Fact]
    public void Rollbacks_walk_back_down_the_chain_of_what_served_and_never_forward()
    {
        var v1 = Deployed("1.0.0", 1, null);
        var v2 = Deployed("1.1.0", 2, v1);
        var failed = Deployed("1.2.0", 3, v2, ReleaseOutcome.RolledBack);
        var v3 = Deployed("1.3.0", 4, v2);
        var releases = new List<Release> { v1, v2, failed, v3 };

        var first = Choose(releases, v3);
        Assert.Equal((v3, "1.1.0"), (first.Current, first.Target.Version));
        var back = first.Record("green", LockHolder.Current()) with { Outcome = ReleaseOutcome.Succeeded };
        Assert.Equal((ReleaseKind.Rollback, "1.0.0", v1.StartedAt, "rollback from 1.3.0"), (back.Kind, back.Previous, back.PreviousStartedAt, back.Note));
        releases.Add(back);

        var second = Choose(releases, back);
        Assert.Equal((back, "1.0.0"), (second.Current, second.Target.Version));
        releases.Add(second.Record("blue", LockHolder.Current()) with { Outcome = ReleaseOutcome.Succeeded });

        var none = Assert.Throws<DeployFailedException>(() => Choose(releases, releases[^1]));
        Assert.Equal("nothing earlier remains to roll back to: 1.0.0 is the oldest release in the chain of what served prod; nothing changed", none.Message);
    }

    [Fact]
    public void A_version_deployed_twice_is_followed_by_the_deploy_that_served_not_by_the_version()
    {
        var v1 = Deployed("1.0.0", 1, null);
        var v2 = Deployed("1.1.0", 2, v1);
        var v1Again = Deployed("1.0.0", 3, v2);
        var v3 = Deployed("1.3.0", 4, v1Again);
        var releases = new List<Release> { v1, v2, v1Again, v3 };

        var walked = new List<string>();
        var serving = v3;
        while (true)
        {
            RollbackChoice choice;
            try
            {
                choice = Choose(releases, serving);
            }
            catch (DeployFailedException)
            {
                break;
            }

            walked.Add(choice.Target.Version);
            serving = choice.Record("blue", LockHolder.Current()) with { Outcome = ReleaseOutcome.Succeeded };
            releases.Add(serving);
        }

        Assert.Equal(["1.0.0", "1.1.0", "1.0.0"], walked);
    }

    [Fact]
    public void What_serves_wins_over_the_ledger_and_the_disagreement_is_said_in_one_line()
    {
        var v1 = Deployed("1.0.0", 1, null);
        var v2 = Deployed("1.1.0", 2, v1);
        var v3 = Deployed("1.3.0", 4, v2);
        var log = new List<string>();

        var choice = Choose([v1, v2, v3], v2, log: log);

        Assert.Equal((v2, "1.0.0"), (choice.Current, choice.Target.Version));
        Assert.Equal(["the ledger says 1.3.0 (api@130000000000) serves prod, but nginx → p-prod-api-blue runs 1.1.0 (@110000000000): going by what serves"], log);
        Assert.Same(v2, ReleaseLedger.Reconcile([v1, v2, v3], Serving(v2), "prod", "api", _ => { }));
        log.Clear();
        Assert.Null(ReleaseLedger.Reconcile([v1], null, "prod", "api", log.Add));
        Assert.Equal(["the ledger says 1.0.0 (api@100000000000) serves prod, but nothing serves it: going by what serves"], log);
    }

    [Fact]
    public void A_version_asked_for_must_have_served_and_must_not_be_serving()
    {
        var v1 = Deployed("1.0.0", 1, null);
        var v2 = Deployed("1.1.0", 2, v1);
        var failed = Deployed("1.2.0", 3, v2, ReleaseOutcome.RolledBack);

        Assert.Equal("1.0.0", Choose([v1, v2, failed], v2, "1.0.0").Target.Version);
        var never = Assert.Throws<DeployFailedException>(() => Choose([v1, v2, failed], v2, "1.2.0"));
        Assert.Equal("version 1.2.0 never served prod: pick one from ./build.sh Releases --environment prod", never.Message);
        var same = Assert.Throws<DeployFailedException>(() => Choose([v1, v2], v2, "1.1.0"));
        Assert.Equal("1.1.0 is what serves prod now: nothing to roll back; nothing changed", same.Message);
        var unknown = Assert.Throws<DeployFailedException>(() => ReleaseLedger.ChooseRollback([v1], new ServingRelease("0.9.0", null, "service p-prod_api"), null, "prod", "api", _ => { }));
        Assert.Equal("service p-prod_api runs 0.9.0, which the ledger never recorded, so what served before it is unknown: roll back with --to-version V (./build.sh Releases --environment prod lists them); nothing changed", unknown.Message);
    }

    [Fact]
    public void The_ledger_table_marks_what_serves_now_newest_first()
    {
        var table = ReleaseLedger.Format([Release("1.0.0", ReleaseOutcome.Succeeded, 1), Release("1.1.0", ReleaseOutcome.RolledBack, 2)]).Split('\n');

        Assert.StartsWith("Version", table[0], StringComparison.Ordinal);
        Assert.StartsWith("  1.1.0  deploy  rolled-back", table[1], StringComparison.Ordinal);
        Assert.StartsWith("* 1.0.0  deploy  succeeded", table[2], StringComparison.Ordinal);
        Assert.Contains("api@100000000000", table[2], StringComparison.Ordinal);
        Assert.Equal("* serving now", table[^1]);
        Assert.Equal("no releases yet", ReleaseLedger.Format([]));
    }

    [Theory]
    [InlineData("{\"status\":\"healthy\",\"version\":\"1.0.0+abc\",\"timestamp\":\"x\"}", "healthy", "1.0.0+abc")]
    [InlineData("{\"status\":\"unhealthy\"}", "unhealthy", null)]
    public void Health_bodies_are_read_for_status_and_version(string body, string status, string? version) =>
        Assert.Equal((status, version), SmokeTester.ReadHealth(body));

    [Fact]
    public void A_lock_held_by_a_live_process_is_not_stale_and_says_how_to_break_it()
    {
        var me = LockHolder.Current() with { Since = new DateTimeOffset(2026, 1, 1, 14, 2, 11, TimeSpan.Zero) };
        var error = DeployLockedException.Refused("prod", me);

        Assert.False(me.IsStale);
        Assert.Null(me.StaleBecause);
        Assert.Equal($"prod is being deployed by {me.Who}@{me.Host} since {me.Since.ToLocalTime():HH:mm:ss} (pid {me.Pid}), lease renewed until {me.Expires.ToLocalTime():HH:mm:ss}. " +
            "Wait, or run ./build.sh Unlock --environment prod --force if that deploy is dead.", error.Message);
        Assert.False((me with { Host = "another-machine", Pid = 1 }).IsStale);
        Assert.True((me with { Host = "another-machine", Expires = DateTimeOffset.UtcNow.AddSeconds(-1) }).IsStale);
    }
}
