// A small design for the yosys check (tests/corpus/test_yosys.py): an 8-bit counter with
// enable and synchronous reset, and a 4-bit adder whose sum it adds to the count.
module adder (input [3:0] a, input [3:0] b, output [4:0] sum);
  assign sum = a + b;
endmodule

module top (input clk, input rst, input en, input [3:0] a, input [3:0] b, output reg [7:0] count);
  wire [4:0] sum;
  adder add (.a(a), .b(b), .sum(sum));
  always @(posedge clk)
    if (rst)
      count <= 8'd0;
    else if (en)
      count <= count + {3'b000, sum};
endmodule
