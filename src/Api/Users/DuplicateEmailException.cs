namespace Api.Users;

/// <summary>Another user already has this email address.</summary>
public sealed class DuplicateEmailException(string email, Exception inner)
    : Exception($"A user with email {email} already exists", inner);
