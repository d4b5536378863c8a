using Xunit.Abstractions;
using Xunit.Sdk;

namespace Slipway.Testing;

/// <summary>
/// A fact that needs something real (a server, a tool). When it is absent the test skips, saying why; under
/// SLIPWAY_REQUIRE_REAL=1 it fails instead, its message naming what is missing and how to start it.
/// </summary>
[XunitTestCaseDiscoverer("Slipway.Testing.RealServerFactDiscoverer", ThisTestAssembly.Name)]
public abstract class RealServerFactAttribute : FactAttribute
{
    /// <summary>Why the test fails before it runs, or null.</summary>
    public string? Failure { get; private set; }

    protected void Needs(bool present, string what, string howToStart) => Needs(present, RealServers.Required, what, howToStart);

    protected void Needs(bool present, bool required, string what, string howToStart)
    {
        if (Failure is not null || Skip is not null)
            return;
        (Skip, Failure) = RealServers.Verdict(present, required, what, howToStart);
    }
}

/// <summary>The theory form of <see cref="RealServerFactAttribute"/>.</summary>
[XunitTestCaseDiscoverer("Slipway.Testing.RealServerTheoryDiscoverer", ThisTestAssembly.Name)]
public abstract class RealServerTheoryAttribute : TheoryAttribute
{
    public string? Failure { get; private set; }

    protected void Needs(bool present, string what, string howToStart)
    {
        if (Failure is not null || Skip is not null)
            return;
        (Skip, Failure) = RealServers.Verdict(present, RealServers.Required, what, howToStart);
    }
}

/// <summary>A failed test case carrying the attribute's <see cref="RealServerFactAttribute.Failure"/>, or xunit's own fact.</summary>
public sealed class RealServerFactDiscoverer(IMessageSink diagnostics) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions options, ITestMethod method, IAttributeInfo attribute) =>
        (attribute as IReflectionAttributeInfo)?.Attribute is RealServerFactAttribute { Failure: { } failure }
            ? [RealServerFailure.TestCase(diagnostics, options, method, failure)]
            : new FactDiscoverer(diagnostics).Discover(options, method, attribute);
}

public sealed class RealServerTheoryDiscoverer(IMessageSink diagnostics) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions options, ITestMethod method, IAttributeInfo attribute) =>
        (attribute as IReflectionAttributeInfo)?.Attribute is RealServerTheoryAttribute { Failure: { } failure }
            ? [RealServerFailure.TestCase(diagnostics, options, method, failure)]
            : new TheoryDiscoverer(diagnostics).Discover(options, method, attribute);
}

internal static class RealServerFailure
{
    public static IXunitTestCase TestCase(IMessageSink diagnostics, ITestFrameworkDiscoveryOptions options, ITestMethod method, string failure) =>
        new ExecutionErrorTestCase(diagnostics, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), method, failure);
}
