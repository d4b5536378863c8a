using Xunit.Abstractions;
using Xunit.Sdk;

namespace Slipway.Engine.Tests;

/// <summary>The shared "this test needs a real server" helper of tests/Shared: skip locally, fail by name under SLIPWAY_REQUIRE_REAL=1.</summary>
public sealed class RealServersTests
{
    [Fact]
    public void A_present_server_runs_the_test()
    {
        Assert.Equal((null, null), RealServers.Verdict(present: true, required: true, "PostgreSQL", "start it"));
        Assert.Equal((null, null), RealServers.Verdict(present: true, required: false, "PostgreSQL", "start it"));
    }

    [Fact]
    public void A_missing_server_skips_saying_what_and_how_to_start_it()
    {
        Assert.Equal(
            ("PostgreSQL (SLIPWAY_TEST_DATABASE_URL) is not reachable (start it with bash .ci/postgres.sh start); skipped", null),
            RealServers.Verdict(present: false, required: false, "PostgreSQL (SLIPWAY_TEST_DATABASE_URL)", "start it with bash .ci/postgres.sh start"));
    }

    [Fact]
    public void Under_require_real_a_missing_server_fails_instead_naming_it_and_how_to_start_it()
    {
        Assert.Equal(
            (null, "PostgreSQL (SLIPWAY_TEST_DATABASE_URL) is not reachable and SLIPWAY_REQUIRE_REAL=1 forbids skipping: start it with bash .ci/postgres.sh start"),
            RealServers.Verdict(present: false, required: true, "PostgreSQL (SLIPWAY_TEST_DATABASE_URL)", "start it with bash .ci/postgres.sh start"));
    }

    [Fact]
    public void Require_throws_the_failure_that_names_the_server()
    {
        RealServers.Require(present: true, "Redis", "start it");
        var error = Assert.Throws<RealServerMissingException>(() => RealServers.Require(present: false, "Redis (SLIPWAY_TEST_REDIS_URL)", "start it with bash .ci/redis.sh start"));
        Assert.Equal("Redis (SLIPWAY_TEST_REDIS_URL) is not reachable and SLIPWAY_REQUIRE_REAL=1 forbids skipping: start it with bash .ci/redis.sh start", error.Message);
    }

    [Fact]
    public void The_discoverer_turns_a_required_missing_server_into_a_failed_test_case_with_that_message()
    {
        var testCase = Assert.Single(Discover(nameof(Samples.Needs_a_missing_server)));

        var failed = Assert.IsType<ExecutionErrorTestCase>(testCase);
        Assert.Equal("the sample server is not reachable and SLIPWAY_REQUIRE_REAL=1 forbids skipping: start it with bash sample.sh", failed.ErrorMessage);
    }

    [Fact]
    public void The_discoverer_leaves_a_test_whose_server_is_present_to_xunit()
    {
        var testCase = Assert.Single(Discover(nameof(Samples.Needs_a_present_server)));

        Assert.IsType<XunitTestCase>(testCase);
        Assert.Null(testCase.SkipReason);
    }

    [Fact]
    public void Each_test_project_names_its_own_assembly_for_the_discoverers()
    {
        Assert.Equal(ThisTestAssembly.Name, typeof(RealServersTests).Assembly.GetName().Name);
    }

    private static IEnumerable<IXunitTestCase> Discover(string methodName)
    {
        var assembly = new TestAssembly(Reflector.Wrap(typeof(Samples).Assembly));
        var testClass = new TestClass(new TestCollection(assembly, null, "samples"), Reflector.Wrap(typeof(Samples)));
        var method = new TestMethod(testClass, Reflector.Wrap(typeof(Samples).GetMethod(methodName)!));
        var attribute = method.Method.GetCustomAttributes(typeof(FactAttribute)).Single();
        return new RealServerFactDiscoverer(new NullMessageSink()).Discover(new DefaultDiscoveryOptions(), method, attribute);
    }

    private sealed class MissingServerFactAttribute : RealServerFactAttribute
    {
        public MissingServerFactAttribute() => Needs(present: false, required: true, "the sample server", "start it with bash sample.sh");
    }

    private sealed class PresentServerFactAttribute : RealServerFactAttribute
    {
        public PresentServerFactAttribute() => Needs(present: true, required: true, "the sample server", "start it with bash sample.sh");
    }

    // Not public, so xunit does not run these itself: only the tests above discover them.
#pragma warning disable xUnit1000
    private sealed class Samples
#pragma warning restore xUnit1000
    {
        [MissingServerFact]
        public void Needs_a_missing_server()
        {
        }

        [PresentServerFact]
        public void Needs_a_present_server()
        {
        }
    }

    private sealed class DefaultDiscoveryOptions : ITestFrameworkDiscoveryOptions
    {
        public TValue GetValue<TValue>(string name) => default!;

        public void SetValue<TValue>(string name, TValue value)
        {
        }
    }
}
