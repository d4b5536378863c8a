namespace Slipway.Testing;

/// <summary>This test assembly's name, for the discoverers of tests/Shared (compiled into every test project).</summary>
internal static class ThisTestAssembly
{
    public const string Name = "Stack.Tests";
}
