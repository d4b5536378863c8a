namespace Slipway.Testing;

/// <summary>This assembly's name, for the fact discoverers of the linked tests/Shared/RealServerFact.cs.</summary>
internal static class ThisTestAssembly
{
    public const string Name = "Deploy.Benchmark";
}
