using Slipway.Delivery.Tests.Workflows.Simulator;

namespace Slipway.Delivery.Tests.Workflows;

/// <summary>
/// The workflow simulator itself, on small workflows that each exercise one rule of GitHub's: needs and if, a fresh
/// clone per job, artifacts and outputs as the only way between jobs, environment secrets, OIDC against the fake STS,
/// the cache's restore-keys, concurrency queueing, and a loud failure for whatever it does not emulate.
/// </summary>
public sealed class WorkflowSimulatorTests : IDisposable
{
    private const string Checkout = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1";
    private readonly string root = Directory.CreateTempSubdirectory("sim-").FullName;
    private readonly List<IDisposable> owned = [];

    public void Dispose()
    {
        foreach (var item in owned)
            item.Dispose();
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task Jobs_run_in_needs_order_each_in_a_fresh_clone_and_pass_only_artifacts_and_outputs()
    {
        var (github, sha) = await RepositoryAsync("""
            name: t
            on: push
            jobs:
              build:
                runs-on: ubuntu-24.04
                outputs:
                  version: ${{ steps.v.outputs.version }}
                steps:
                  - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1
                  - id: v
                    run: |
                      echo "version=1.2.${{ github.run_number }}" >> "$GITHUB_OUTPUT"
                      echo "GREETING=hello" >> "$GITHUB_ENV"
                      mkdir -p out && echo built > out/result.txt && echo left > stray.txt
                  - run: test "$GREETING" = hello && test "$CI" = true && test "$GITHUB_SHA" = "${{ github.sha }}"
                  - uses: actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f
                    with:
                      name: out
                      path: out
              use:
                needs: build
                runs-on: ubuntu-24.04
                steps:
                  - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1
                  - uses: actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c
                    with:
                      name: out
                      path: got
                  - run: |
                      test ! -e stray.txt
                      test "$(cat got/result.txt)" = built
                      test -f README.txt
                      test "${{ needs.build.outputs.version }}" = 1.2.1
                      test -z "${GREETING:-}"
              after-failure:
                needs: use
                if: failure()
                runs-on: ubuntu-24.04
                steps:
                  - run: exit 0
            """);

        var run = await github.RunAsync(".github/workflows/t.yml", new WorkflowTrigger("push", sha));

        Assert.True(run.Conclusion == JobConclusion.Success, run.Logs);
        Assert.Equal(JobConclusion.Success, run.Jobs["use"].Conclusion);
        Assert.Equal(JobConclusion.Skipped, run.Jobs["after-failure"].Conclusion);
        Assert.Equal(["out"], run.Artifacts.Names);
    }

    [Fact]
    public async Task A_failing_step_fails_the_job_and_the_run_skips_dependants_and_runs_always_steps()
    {
        var (github, sha) = await RepositoryAsync("""
            name: t
            on: push
            jobs:
              a:
                runs-on: ubuntu-24.04
                steps:
                  - run: echo before
                  - run: false
                  - run: echo never
                  - if: ${{ always() }}
                    run: echo cleaned
                  - if: failure()
                    run: echo reported
              b:
                needs: a
                runs-on: ubuntu-24.04
                steps:
                  - run: echo never
            """);

        var run = await github.RunAsync(".github/workflows/t.yml", new WorkflowTrigger("push", sha));

        Assert.Equal(JobConclusion.Failure, run.Conclusion);
        Assert.Equal([JobConclusion.Success, JobConclusion.Failure, JobConclusion.Skipped, JobConclusion.Success, JobConclusion.Success], run.Jobs["a"].Steps.Select(s => s.Outcome));
        Assert.Equal(JobConclusion.Skipped, run.Jobs["b"].Conclusion);
    }

    [Fact]
    public async Task Environment_secrets_reach_only_the_jobs_naming_that_environment_and_never_the_log()
    {
        var (github, sha) = await RepositoryAsync("""
            name: t
            on: push
            jobs:
              plain:
                runs-on: ubuntu-24.04
                steps:
                  - env:
                      KEY: ${{ secrets.DEPLOY_KEY }}
                      SHARED: ${{ secrets.SHARED }}
                    run: test -z "$KEY" && echo "shared is $SHARED"
              staging:
                runs-on: ubuntu-24.04
                environment:
                  name: staging
                  url: https://staging.example
                steps:
                  - env:
                      KEY: ${{ secrets.DEPLOY_KEY }}
                      WHERE: ${{ vars.WHERE }}
                    run: test "$KEY" = staging-key-123 && test "$WHERE" = stage && echo "key is $KEY"
            """);
        github.Secrets["SHARED"] = "shared-secret-456";
        github.EnvironmentSecrets["staging"] = new() { ["DEPLOY_KEY"] = "staging-key-123" };
        github.EnvironmentVariables["staging"] = new() { ["WHERE"] = "stage" };

        var run = await github.RunAsync(".github/workflows/t.yml", new WorkflowTrigger("push", sha));

        Assert.True(run.Conclusion == JobConclusion.Success, run.Logs);
        Assert.Equal(["SHARED"], run.Jobs["plain"].SecretsRead);
        Assert.Equal(["DEPLOY_KEY"], run.Jobs["staging"].SecretsRead);
        Assert.Contains("key is ***", run.Jobs["staging"].Log, StringComparison.Ordinal);
        Assert.DoesNotContain("staging-key-123", run.Logs, StringComparison.Ordinal);
        Assert.DoesNotContain("shared-secret-456", run.Logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Configure_aws_credentials_exchanges_the_jobs_oidc_token_at_sts_only_with_id_token_write_and_a_trusted_subject()
    {
        const string Role = "arn:aws:iam::123456789012:role/slipway-deploy";
        var sts = new FakeSts(new OidcTrust(Role, ["repo:slipway-org/slipway:environment:production"]));
        owned.Add(sts);
        var (github, sha) = await RepositoryAsync($$$"""
            name: t
            on: push
            jobs:
              production:
                runs-on: ubuntu-24.04
                environment: production
                permissions:
                  id-token: write
                steps:
                  - uses: aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c
                    with:
                      role-to-assume: ${{ vars.AWS_ROLE_ARN }}
                      aws-region: eu-west-1
                  - run: test "${AWS_ACCESS_KEY_ID:0:4}" = ASIA && test -n "$AWS_SECRET_ACCESS_KEY" && test -n "$AWS_SESSION_TOKEN" && test "$AWS_REGION" = eu-west-1 && echo "key $AWS_ACCESS_KEY_ID"
              no-permission:
                runs-on: ubuntu-24.04
                environment: production
                permissions:
                  contents: read
                steps:
                  - uses: aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c
                    with:
                      role-to-assume: {{{Role}}}
                      aws-region: eu-west-1
              untrusted:
                runs-on: ubuntu-24.04
                environment: staging
                permissions:
                  id-token: write
                steps:
                  - uses: aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c
                    with:
                      role-to-assume: {{{Role}}}
                      aws-region: eu-west-1
            """, sts);
        github.EnvironmentVariables["production"] = new() { ["AWS_ROLE_ARN"] = Role };

        var run = await github.RunAsync(".github/workflows/t.yml", new WorkflowTrigger("push", sha));

        Assert.True(run.Jobs["production"].Conclusion == JobConclusion.Success, run.Logs);
        var issued = Assert.Single(sts.Issued);
        Assert.Equal((Role, "repo:slipway-org/slipway:environment:production"), (issued.Role, issued.Subject));
        Assert.Contains("key ***", run.Jobs["production"].Log, StringComparison.Ordinal);
        Assert.DoesNotContain(issued.AccessKeyId, run.Logs, StringComparison.Ordinal);
        Assert.Equal(JobConclusion.Failure, run.Jobs["no-permission"].Conclusion);
        Assert.Contains("Did you mean to set the `id-token` permission?", run.Jobs["no-permission"].Log, StringComparison.Ordinal);
        Assert.Equal(JobConclusion.Failure, run.Jobs["untrusted"].Conclusion);
        Assert.Contains("Not authorized to perform sts:AssumeRoleWithWebIdentity", run.Jobs["untrusted"].Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cache_restores_by_restore_keys_prefix_and_saves_under_the_new_key_only_after_a_miss()
    {
        var (github, sha) = await RepositoryAsync("""
            name: t
            on: push
            jobs:
              a:
                runs-on: ubuntu-24.04
                steps:
                  - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1
                  - id: cache
                    uses: actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae
                    with:
                      path: ~/.store
                      key: store-${{ runner.os }}-${{ hashFiles('**/*.txt') }}
                      restore-keys: store-${{ runner.os }}-
                  - run: |
                      test "${{ steps.cache.outputs.cache-hit }}" = "$EXPECT_HIT"
                      cat ~/.store/seeded
                      echo more > ~/.store/added
            """);
        var seeded = Directory.CreateDirectory(Path.Combine(root, "seed")).FullName;
        await File.WriteAllTextAsync(Path.Combine(seeded, "seeded"), "from an earlier run");
        await github.Cache.SeedAsync("store-Linux-old", seeded);

        github.RunnerVariables["EXPECT_HIT"] = "false";
        var first = await github.RunAsync(".github/workflows/t.yml", new WorkflowTrigger("push", sha));
        github.RunnerVariables["EXPECT_HIT"] = "true";
        var second = await github.RunAsync(".github/workflows/t.yml", new WorkflowTrigger("push", sha));

        Assert.True(first.Conclusion == JobConclusion.Success, first.Logs);
        Assert.True(second.Conclusion == JobConclusion.Success, second.Logs);
        Assert.Equal(2, github.Cache.Keys.Count);
        Assert.Matches("^store-Linux-[0-9a-f]{64}$", github.Cache.Keys[1]);
    }

    [Fact]
    public async Task Anything_not_emulated_fails_the_step_loudly_naming_it()
    {
        var (github, sha) = await RepositoryAsync("""
            name: t
            on: push
            jobs:
              action:
                runs-on: ubuntu-24.04
                steps:
                  - uses: someone/unknown-action@v1
              function:
                runs-on: ubuntu-24.04
                steps:
                  - run: echo ${{ frobnicate('x') }}
              context:
                runs-on: ubuntu-24.04
                steps:
                  - run: echo ${{ matrixx.os }}
            """);

        var run = await github.RunAsync(".github/workflows/t.yml", new WorkflowTrigger("push", sha));

        Assert.Equal(JobConclusion.Failure, run.Conclusion);
        Assert.Contains("uses: someone/unknown-action@v1 is not emulated", run.Jobs["action"].Log, StringComparison.Ordinal);
        Assert.Contains("expression function 'frobnicate' is not emulated", run.Jobs["function"].Log, StringComparison.Ordinal);
        Assert.Contains("expression context 'matrixx' is not available", run.Jobs["context"].Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_run_queues_behind_a_running_one_cancelling_nothing_and_a_third_replaces_the_pending_second()
    {
        var (github, sha) = await RepositoryAsync($$$"""
            name: t
            on: push
            jobs:
              deploy:
                runs-on: ubuntu-24.04
                concurrency:
                  group: deploy-${{ vars.STAGE }}
                  cancel-in-progress: false
                steps:
                  - name: Deploy
                    run: echo "run ${{ github.run_id }}" >> {{{root}}}/order
            """);
        github.Variables["STAGE"] = "staging";
        var hold = github.HoldBefore("deploy", "Deploy");
        var first = github.RunAsync(".github/workflows/t.yml", new WorkflowTrigger("push", sha));
        Assert.Equal(1, (await hold.Reached.WaitAsync(TimeSpan.FromMinutes(1))).Run.Id);
        var second = github.RunAsync(".github/workflows/t.yml", new WorkflowTrigger("push", sha));
        await QueuedAsync(github, "run 2 job deploy deploy-staging: pending behind run 1 job deploy");
        var third = github.RunAsync(".github/workflows/t.yml", new WorkflowTrigger("push", sha));
        await QueuedAsync(github, "run 3 job deploy deploy-staging: pending behind run 1 job deploy");
        Assert.False(File.Exists(Path.Combine(root, "order")), "the held job ran its step");
        hold.Release();

        var runs = await Task.WhenAll(first, second, third);

        Assert.Equal([JobConclusion.Success, JobConclusion.Cancelled, JobConclusion.Success], runs.Select(r => r.Conclusion));
        Assert.Equal(["run 1", "run 3"], await File.ReadAllLinesAsync(Path.Combine(root, "order")));
        Assert.Contains("run 2 job deploy deploy-staging: pending member cancelled by run 3 job deploy", github.Concurrency.Events);
        Assert.DoesNotContain(github.Concurrency.Events, e => e.Contains("cancelled in progress", StringComparison.Ordinal));
    }

    private static async Task QueuedAsync(SimulatedGitHub github, string queued)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (!github.Concurrency.Events.Contains(queued))
            await Task.Delay(50, deadline.Token);
    }

    private async Task<(SimulatedGitHub GitHub, string Sha)> RepositoryAsync(string workflow, FakeSts? sts = null)
    {
        var repository = await GitRepository.CreateAsync(new Dictionary<string, string>
        {
            [".github/workflows/t.yml"] = workflow,
            ["README.txt"] = "a repository",
        });
        owned.Add(repository);
        var sha = (await Shell.RunAsync("git", ["rev-parse", "HEAD"], repository.Path)).Trim();
        return (new SimulatedGitHub(repository.Path, Directory.CreateDirectory(Path.Combine(root, "github")).FullName) { Sts = sts }, sha);
    }
}
