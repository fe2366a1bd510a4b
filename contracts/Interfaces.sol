// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice The ERC-20 calls the pair and the router make.
interface IERC20Minimal {
    function balanceOf(address owner) external view returns (uint256);
    function transfer(address to, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}

/// @notice Wrapped native CORE, as the router uses it.
interface IWCORE {
    function deposit() external payable;
    function withdraw(uint256 wad) external;
    function transfer(address to, uint256 value) external returns (bool);
}

/// @notice Flash-swap callback, named as in Uniswap V2 so existing callees work unchanged.
interface ICoreMemeCallee {
    function uniswapV2Call(address sender, uint256 amount0, uint256 amount1, bytes calldata data) external;
}

/// @notice Safe ERC-20 and native transfers that accept tokens returning nothing.
library TransferHelper {
    function safeTransfer(address token, address to, uint256 value) internal {
        (bool ok, bytes memory data) = token.call(abi.encodeCall(IERC20Minimal.transfer, (to, value)));
        require(ok && (data.length == 0 || abi.decode(data, (bool))), "TransferHelper: TRANSFER_FAILED");
    }

    function safeTransferFrom(address token, address from, address to, uint256 value) internal {
        (bool ok, bytes memory data) = token.call(abi.encodeCall(IERC20Minimal.transferFrom, (from, to, value)));
        require(ok && (data.length == 0 || abi.decode(data, (bool))), "TransferHelper: TRANSFER_FROM_FAILED");
    }

    function safeTransferNative(address to, uint256 value) internal {
        (bool ok,) = to.call{value: value}("");
        require(ok, "TransferHelper: NATIVE_TRANSFER_FAILED");
    }
}

/// @notice The factory lookup a token uses to find its own pair without a setup transaction.
interface IPairLookup {
    function getPair(address tokenA, address tokenB) external view returns (address pair);
}

/// @notice The router call the bundler makes.
interface IRouterBuy {
    function WETH() external view returns (address);
    function swapExactETHForTokens(uint256 amountOutMin, address[] calldata path, address to, uint256 deadline)
        external
        payable
        returns (uint256[] memory amounts);
}
