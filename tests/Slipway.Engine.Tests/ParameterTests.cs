namespace Slipway.Engine.Tests;

[Collection("engine")]
public sealed class ParameterTests : IDisposable
{
    private readonly Harness harness = new();

    public void Dispose() => harness.Dispose();

    private enum Stage
    {
        Local,
        LocalSwarm,
        Staging,
        Prod,
    }

    private sealed class Parameterized : SlipwayBuild
    {
        [Parameter("where", Name = "environment", EnvironmentVariable = "SLIPWAY_ENVIRONMENT")]
        public readonly Stage Stage = Stage.Local;

        [Parameter("region")]
        public readonly string Region = "eu-west-1";

        [Parameter("coverage floor")]
        public readonly int MinCoverage = 80;

        [Parameter("ignore unfixed")]
        public readonly bool IgnoreUnfixed;

        [Parameter("severities")]
        public readonly string[] Severities = ["CRITICAL"];

        [Parameter("wait")]
        public readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(30);

        [Parameter("output folder")]
        public readonly AbsolutePath? Output;

        [Parameter("token"), Secret]
        public readonly string? ApiToken;

        [Parameter("pin"), Secret]
        public readonly long? ApiPin;

        Target Show => _ => _.Executes(() => Log.Info($"token is {ApiToken}"));

        Target Connect => _ => _.Executes(() =>
        {
            if (!Uri.IsWellFormedUriString(ApiToken, UriKind.Absolute))
                throw new BuildFailedException($"'{ApiToken}' is not a URL");
        });
    }

    private Parameterized Bind(params string[] args)
    {
        var build = new Parameterized();
        var result = harness.Run(build, ["--plan", .. args], ["Show"]);
        Assert.True(result.ExitCode == 0, result.Error);
        return build;
    }

    [Fact]
    public void Values_are_converted_to_their_declared_types()
    {
        var build = Bind("--min-coverage", "75", "--ignore-unfixed", "--severities", "HIGH", "MEDIUM", "--health-timeout", "1m30s", "--output", "out/x", "--environment", "PROD");
        Assert.Equal(75, build.MinCoverage);
        Assert.True(build.IgnoreUnfixed);
        Assert.Equal(["HIGH", "MEDIUM"], build.Severities);
        Assert.Equal(TimeSpan.FromSeconds(90), build.HealthTimeout);
        Assert.Equal(harness.Root / "out" / "x", build.Output);
        Assert.Equal(Stage.Prod, build.Stage);
    }

    [Theory]
    [InlineData("local-swarm")]
    [InlineData("LocalSwarm")]
    [InlineData("local_swarm")]
    public void An_enum_member_of_two_words_is_spelled_in_kebab_case_or_as_declared_and_picks_its_environment_file(string given)
    {
        harness.WriteParameters("""{ "Region": "from-local-swarm-file" }""", "local-swarm");
        var build = Bind("--environment", given);
        Assert.Equal((Stage.LocalSwarm, "from-local-swarm-file"), (build.Stage, build.Region));
    }

    [Fact]
    public void Arrays_also_take_comma_separated_values_and_durations_take_clock_time()
    {
        var build = Bind("--severities", "HIGH,LOW", "--health-timeout", "00:00:05");
        Assert.Equal(["HIGH", "LOW"], build.Severities);
        Assert.Equal(TimeSpan.FromSeconds(5), build.HealthTimeout);
    }

    [Fact]
    public void Command_line_beats_environment_variable_beats_environment_file_beats_parameters_json_beats_default()
    {
        Assert.Equal("eu-west-1", Bind().Region);

        harness.WriteParameters("""{ "$schema": "./build.schema.json", "Region": "from-file", "Environment": "staging" }""");
        Assert.Equal("from-file", Bind().Region);

        harness.WriteParameters("""{ "Region": "from-staging-file" }""", "staging");
        Assert.Equal("from-staging-file", Bind().Region);
        Assert.Equal("from-file", Bind("--environment", "prod").Region);

        harness.Environment["REGION"] = "from-variable";
        Assert.Equal("from-variable", Bind().Region);

        Assert.Equal("from-command-line", Bind("--region", "from-command-line").Region);
    }

    [Fact]
    public void The_environment_variable_picks_the_environment_file()
    {
        harness.WriteParameters("""{ "MinCoverage": 90 }""", "prod");
        harness.Environment["SLIPWAY_ENVIRONMENT"] = "prod";
        Assert.Equal(90, Bind().MinCoverage);
    }

    [Fact]
    public void A_parameter_that_names_its_variable_is_read_from_that_variable_only()
    {
        harness.Environment["ENVIRONMENT"] = "prod";
        Assert.Equal(Stage.Local, Bind().Stage);

        harness.Environment["SLIPWAY_ENVIRONMENT"] = "staging";
        Assert.Equal(Stage.Staging, Bind().Stage);
        Assert.Equal(Stage.Prod, Bind("--environment", "prod").Stage);
    }

    [Fact]
    public void An_option_takes_its_value_after_an_equals_sign()
    {
        var build = Bind("--region=eu-central-1", "--api-token=hunter2=with-equals");
        Assert.Equal("eu-central-1", build.Region);
        Assert.Equal("hunter2=with-equals", build.ApiToken);
    }

    [Theory]
    [InlineData(new[] { "--min-coverage", "lots" }, "error: bad value 'lots' for --min-coverage: expected int")]
    [InlineData(new[] { "--environment", "qa" }, "error: bad value 'qa' for --environment: expected local|local-swarm|staging|prod")]
    [InlineData(new[] { "--regoin", "x" }, "error: unknown parameter '--regoin'. Did you mean '--region'? Run ./build.sh --help for the list.")]
    [InlineData(new[] { "--region" }, "error: --region needs a value (string)")]
    public void Bad_input_is_one_line_on_stderr_and_exit_2(string[] args, string expected)
    {
        var result = harness.Run(new Parameterized(), args, ["Show"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(expected, result.Error.Trim());
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Fact]
    public void A_malformed_or_unknown_entry_in_parameters_json_names_the_file()
    {
        harness.WriteParameters("""{ "Regoin": "x" }""");
        var unknown = harness.Run(new Parameterized(), [], ["Show"]);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Equal("error: unknown parameter 'Regoin' in .nuke/parameters.json. Did you mean 'Region'?", unknown.Error.Trim());

        harness.WriteParameters("""{ "Region": """);
        var malformed = harness.Run(new Parameterized(), [], ["Show"]);
        Assert.Equal(2, malformed.ExitCode);
        Assert.StartsWith("error: .nuke/parameters.json is not valid JSON", malformed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_secret_is_refused_from_files()
    {
        harness.WriteParameters("""{ "ApiToken": "s3cr3t-value" }""");
        var result = harness.Run(new Parameterized(), ["Show"], ["Show"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("secret parameter ApiToken must not be stored in .nuke/parameters.json", result.Error);
        Assert.DoesNotContain("s3cr3t-value", result.Error);
    }

    [Fact]
    public void A_secret_is_masked_in_every_line_the_build_prints()
    {
        harness.Environment["API_TOKEN"] = "hunter2-very-secret";
        var result = harness.Run(new Parameterized(), ["Show"], ["Show"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("token is ****", result.Output);
        Assert.DoesNotContain("hunter2-very-secret", result.Output + result.Error);
    }

    [Theory]
    [InlineData(new[] { "--api-token", "hunter2-first", "--api-token", "hunter2-second" }, "error: --api-token takes one value, got 2: **** ****")]
    [InlineData(new[] { "--api-token=hunter2-first", "--api-token", "hunter2-second" }, "error: --api-token takes one value, got 2: **** ****")]
    [InlineData(new[] { "--api-pin", "12ab-hunter2" }, "error: bad value '****' for --api-pin: expected int")]
    [InlineData(new[] { "--api-pin=12ab-hunter2" }, "error: bad value '****' for --api-pin: expected int")]
    public void A_secret_given_twice_or_malformed_is_masked_in_the_error(string[] args, string expected)
    {
        var result = harness.Run(new Parameterized(), ["Show", .. args], ["Show"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(expected, result.Error.Trim());
        Assert.DoesNotContain("hunter2", result.Output + result.Error);
    }

    [Fact]
    public void A_malformed_secret_from_its_environment_variable_is_masked_in_the_error()
    {
        harness.Environment["API_PIN"] = "hunter2-not-a-number";
        var result = harness.Run(new Parameterized(), ["Show"], ["Show"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: bad value '****' for --api-pin: expected int", result.Error.Trim());
    }

    [Fact]
    public void A_secret_that_a_target_rejects_is_masked_in_the_failure_and_the_summary()
    {
        var result = harness.Run(new Parameterized(), ["Connect", "--api-token", "postgres//admin:hunter2@db"], ["Show"]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("✗ '****' is not a URL", result.Error);
        Assert.Matches(@"Connect\s+Failed\s+.*'\*\*\*\*' is not a URL", result.Output);
        Assert.DoesNotContain("hunter2", result.Output + result.Error);
    }

    [Fact]
    public void Help_lists_parameters_with_type_default_and_description_and_marks_secrets()
    {
        harness.Environment["API_TOKEN"] = "hunter2-very-secret";
        var result = harness.Run(new Parameterized(), ["--help"], ["Show"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains(result.Lines, l => l.Contains("--min-coverage <int>", StringComparison.Ordinal) && l.EndsWith("coverage floor [default: 80]", StringComparison.Ordinal));
        Assert.Contains(result.Lines, l => l.Contains("--environment <local|local-swarm|staging|prod>", StringComparison.Ordinal) && l.EndsWith("[default: local]", StringComparison.Ordinal));
        Assert.Contains(result.Lines, l => l.Contains("--api-token <string>", StringComparison.Ordinal) && l.EndsWith("token (secret)", StringComparison.Ordinal));
        Assert.DoesNotContain("hunter2", result.Output);
    }

    [Fact]
    public void The_schema_for_parameters_json_is_written_without_secrets()
    {
        Bind();
        var schema = File.ReadAllText(harness.Root / ".nuke" / "build.schema.json");
        Assert.Contains("\"MinCoverage\": {", schema);
        Assert.Contains("\"enum\": [\n        \"local\",\n        \"local-swarm\",\n        \"staging\",\n        \"prod\"\n      ]", schema);
        Assert.DoesNotContain("ApiToken", schema);
    }

    [Theory]
    [InlineData("MinCoverage", "min-coverage", "MIN_COVERAGE")]
    [InlineData("DockerHost", "docker-host", "DOCKER_HOST")]
    [InlineData("AwsOIDCRole", "aws-oidc-role", "AWS_OIDC_ROLE")]
    public void Names_have_kebab_and_snake_spellings(string pascal, string kebab, string snake)
    {
        Assert.Equal(kebab, ParameterName.ToKebab(pascal));
        Assert.Equal(snake, ParameterName.ToUpperSnake(pascal));
        Assert.Equal(pascal.ToLowerInvariant(), ParameterName.Normalize(kebab));
    }
}
