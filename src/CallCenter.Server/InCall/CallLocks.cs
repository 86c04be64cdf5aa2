using Npgsql;

namespace CallCenter.Server.InCall;

/// <summary>
/// One command at a time per call, across every server instance: a PostgreSQL session advisory lock keyed by the call SID.
/// In-call commands and the conference status webhook read the call's state from the call log, ask Twilio, then append;
/// under the lock a second identical command (a double click, a retry) sees the first one's result and sends Twilio nothing.
/// PostgreSQL rather than Redis because every instance shares it in both ACD store modes, and the call log these commands
/// read is there anyway.
/// </summary>
public sealed class CallLocks(NpgsqlDataSource dataSource)
{
    // The advisory lock key space is shared by the whole database: this class id keeps ours apart.
    private const int LockClass = 0x1C41;

    /// <summary>How long a command waits for the one before it on the same call.</summary>
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(20);

    /// <summary>Takes the call's lock, waiting up to <paramref name="wait"/>; null when another command held it all that time.</summary>
    public async Task<IAsyncDisposable?> AcquireAsync(string callSid, TimeSpan wait, CancellationToken ct)
    {
        var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            var deadline = DateTime.UtcNow + wait;
            while (true)
            {
                await using (var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock($1, hashtext($2))", connection))
                {
                    tryLock.Parameters.Add(new() { Value = LockClass });
                    tryLock.Parameters.Add(new() { Value = callSid });
                    if (await tryLock.ExecuteScalarAsync(ct) is true) return new Held(connection, callSid);
                }
                if (DateTime.UtcNow >= deadline)
                {
                    await connection.DisposeAsync();
                    return null;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(20), ct);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private sealed class Held(NpgsqlConnection connection, string callSid) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1, hashtext($2))", connection);
                unlock.Parameters.Add(new() { Value = LockClass });
                unlock.Parameters.Add(new() { Value = callSid });
                await unlock.ExecuteScalarAsync(CancellationToken.None);
            }
            finally
            {
                // Closing the session releases the lock too, should the unlock itself have failed.
                await connection.DisposeAsync();
            }
        }
    }
}

/// <summary>Serialises the in-call commands of one call (route value <c>callSid</c>) through <see cref="CallLocks"/>; 409 when busy too long.</summary>
public sealed class CallLockFilter(CallLocks locks) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        // Reading the state needs no lock; only commands that may reach Twilio take it.
        if (HttpMethods.IsGet(context.HttpContext.Request.Method)) return await next(context);
        var callSid = context.HttpContext.GetRouteValue("callSid") as string ?? "";
        await using var held = await locks.AcquireAsync(callSid, CallLocks.DefaultWait, context.HttpContext.RequestAborted);
        if (held is null) return Busy(callSid);
        return await next(context);
    }

    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Busy(string callSid) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Another command on this call is in progress",
            detail: $"{callSid} is still busy with an earlier command; try again in a moment.");
}
