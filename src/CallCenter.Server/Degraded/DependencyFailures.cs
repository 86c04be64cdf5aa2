using System.Net.Sockets;
using Npgsql;
using StackExchange.Redis;

namespace CallCenter.Server.Degraded;

/// <summary>Tells "the dependency did not answer" (carry on degraded) from every other failure (a bug, bad data).</summary>
public static class DependencyFailures
{
    /// <summary>
    /// PostgreSQL refused the connection, dropped it, was shut down under it (SQLSTATE class 57P, 08) or timed out.
    /// EF Core and our own wrappers nest the driver's exception, so the whole chain is looked at.
    /// </summary>
    public static bool IsDatabaseUnavailable(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException pg when pg.SqlState.StartsWith("57P", StringComparison.Ordinal) || pg.SqlState.StartsWith("08", StringComparison.Ordinal):
                    return true;
                case PostgresException:
                    return false;
                case NpgsqlException { IsTransient: true }:
                case SocketException:
                case TimeoutException:
                    return true;
            }
        }
        return false;
    }

    /// <summary>Redis refused or dropped the connection, or did not answer in time.</summary>
    public static bool IsRedisUnavailable(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is RedisConnectionException or RedisTimeoutException) return true;
        }
        return false;
    }

    /// <summary>
    /// Redis took the command but its answer never came (it timed out or the connection dropped after sending): the
    /// command may have run. A command never sent (queued while disconnected) did not.
    /// </summary>
    public static bool IsOutcomeUnknown(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is RedisTimeoutException { Commandstatus: CommandStatus.Sent } or RedisConnectionException { CommandStatus: CommandStatus.Sent })
                return true;
        }
        return false;
    }
}
