package io.tweektrend.spark;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

import org.sparkproject.connect.grpc.Grpc;
import org.sparkproject.connect.grpc.Metadata;
import org.sparkproject.connect.grpc.ServerCall;
import org.sparkproject.connect.grpc.ServerCallHandler;
import org.sparkproject.connect.grpc.ServerInterceptor;
import org.sparkproject.connect.grpc.Status;

/**
 * Refuses every Spark Connect call that does not come from this machine.
 *
 * <p>Spark 3.5's Connect server listens on all interfaces and has no authentication, and a
 * Connect client runs arbitrary code (Python UDFs) on the server. The local stack is for this
 * machine only, so calls from any other address are closed with PERMISSION_DENIED.
 */
public final class LoopbackOnlyInterceptor implements ServerInterceptor {
  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    SocketAddress peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    if (peer instanceof InetSocketAddress
        && ((InetSocketAddress) peer).getAddress() != null
        && ((InetSocketAddress) peer).getAddress().isLoopbackAddress()) {
      return next.startCall(call, headers);
    }
    call.close(
        Status.PERMISSION_DENIED.withDescription(
            "this Spark Connect server accepts local clients only (TweekTrend local stack)"),
        new Metadata());
    return new ServerCall.Listener<Q>() {};
  }
}
