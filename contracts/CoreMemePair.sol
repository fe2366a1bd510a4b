// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ERC20} from "./ERC20.sol";
import {IERC20Minimal, ICoreMemeCallee, TransferHelper} from "./Interfaces.sol";

/// @title CoreMemePair
/// @notice A Uniswap V2 pair: constant product, 0.3% fee, MINIMUM_LIQUIDITY locked on first mint,
///         the same events with the same signatures. The LP token is this contract (ERC-20).
/// @dev No protocol fee (`feeTo`): the devnet does not need it.
contract CoreMemePair is ERC20 {
    uint256 public constant MINIMUM_LIQUIDITY = 10 ** 3;

    address public immutable factory;
    address public token0;
    address public token1;

    uint112 private reserve0;
    uint112 private reserve1;
    uint32 private blockTimestampLast;

    uint256 public price0CumulativeLast;
    uint256 public price1CumulativeLast;

    uint256 private unlocked = 1;

    event Mint(address indexed sender, uint256 amount0, uint256 amount1);
    event Burn(address indexed sender, uint256 amount0, uint256 amount1, address indexed to);
    event Swap(
        address indexed sender,
        uint256 amount0In,
        uint256 amount1In,
        uint256 amount0Out,
        uint256 amount1Out,
        address indexed to
    );
    event Sync(uint112 reserve0, uint112 reserve1);

    modifier lock() {
        require(unlocked == 1, "CoreMeme: LOCKED");
        unlocked = 0;
        _;
        unlocked = 1;
    }

    constructor() ERC20("CoreMemeSwap LP", "CMS-LP", 18) {
        factory = msg.sender;
    }

    /// @notice Called once by the factory right after deployment.
    function initialize(address token0_, address token1_) external {
        require(msg.sender == factory, "CoreMeme: FORBIDDEN");
        token0 = token0_;
        token1 = token1_;
    }

    function getReserves() public view returns (uint112 reserve0_, uint112 reserve1_, uint32 blockTimestampLast_) {
        return (reserve0, reserve1, blockTimestampLast);
    }

    function mint(address to) external lock returns (uint256 liquidity) {
        (uint112 r0, uint112 r1,) = getReserves();
        uint256 balance0 = IERC20Minimal(token0).balanceOf(address(this));
        uint256 balance1 = IERC20Minimal(token1).balanceOf(address(this));
        uint256 amount0 = balance0 - r0;
        uint256 amount1 = balance1 - r1;
        uint256 supply = totalSupply;
        if (supply == 0) {
            liquidity = _sqrt(amount0 * amount1) - MINIMUM_LIQUIDITY;
            _mint(address(0), MINIMUM_LIQUIDITY);
        } else {
            liquidity = _min((amount0 * supply) / r0, (amount1 * supply) / r1);
        }
        require(liquidity > 0, "CoreMeme: INSUFFICIENT_LIQUIDITY_MINTED");
        _mint(to, liquidity);
        _update(balance0, balance1, r0, r1);
        emit Mint(msg.sender, amount0, amount1);
    }

    function burn(address to) external lock returns (uint256 amount0, uint256 amount1) {
        (uint112 r0, uint112 r1,) = getReserves();
        address t0 = token0;
        address t1 = token1;
        uint256 balance0 = IERC20Minimal(t0).balanceOf(address(this));
        uint256 balance1 = IERC20Minimal(t1).balanceOf(address(this));
        uint256 liquidity = balanceOf[address(this)];
        uint256 supply = totalSupply;
        amount0 = (liquidity * balance0) / supply;
        amount1 = (liquidity * balance1) / supply;
        require(amount0 > 0 && amount1 > 0, "CoreMeme: INSUFFICIENT_LIQUIDITY_BURNED");
        _burn(address(this), liquidity);
        TransferHelper.safeTransfer(t0, to, amount0);
        TransferHelper.safeTransfer(t1, to, amount1);
        balance0 = IERC20Minimal(t0).balanceOf(address(this));
        balance1 = IERC20Minimal(t1).balanceOf(address(this));
        _update(balance0, balance1, r0, r1);
        emit Burn(msg.sender, amount0, amount1, to);
    }

    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external lock {
        require(amount0Out > 0 || amount1Out > 0, "CoreMeme: INSUFFICIENT_OUTPUT_AMOUNT");
        (uint112 r0, uint112 r1,) = getReserves();
        require(amount0Out < r0 && amount1Out < r1, "CoreMeme: INSUFFICIENT_LIQUIDITY");
        require(to != token0 && to != token1, "CoreMeme: INVALID_TO");
        if (amount0Out > 0) TransferHelper.safeTransfer(token0, to, amount0Out);
        if (amount1Out > 0) TransferHelper.safeTransfer(token1, to, amount1Out);
        if (data.length > 0) ICoreMemeCallee(to).uniswapV2Call(msg.sender, amount0Out, amount1Out, data);
        uint256 balance0 = IERC20Minimal(token0).balanceOf(address(this));
        uint256 balance1 = IERC20Minimal(token1).balanceOf(address(this));
        uint256 amount0In = balance0 > r0 - amount0Out ? balance0 - (r0 - amount0Out) : 0;
        uint256 amount1In = balance1 > r1 - amount1Out ? balance1 - (r1 - amount1Out) : 0;
        require(amount0In > 0 || amount1In > 0, "CoreMeme: INSUFFICIENT_INPUT_AMOUNT");
        _checkK(balance0, balance1, amount0In, amount1In, r0, r1);
        _update(balance0, balance1, r0, r1);
        emit Swap(msg.sender, amount0In, amount1In, amount0Out, amount1Out, to);
    }

    /// @notice Sends any balance above the reserves to `to`.
    function skim(address to) external lock {
        TransferHelper.safeTransfer(token0, to, IERC20Minimal(token0).balanceOf(address(this)) - reserve0);
        TransferHelper.safeTransfer(token1, to, IERC20Minimal(token1).balanceOf(address(this)) - reserve1);
    }

    /// @notice Sets the reserves to the balances.
    function sync() external lock {
        _update(
            IERC20Minimal(token0).balanceOf(address(this)),
            IERC20Minimal(token1).balanceOf(address(this)),
            reserve0,
            reserve1
        );
    }

    /// @dev The 0.3% fee: balances net of 0.3% of the input must keep k.
    function _checkK(uint256 balance0, uint256 balance1, uint256 amount0In, uint256 amount1In, uint112 r0, uint112 r1)
        private
        pure
    {
        uint256 adjusted0 = balance0 * 1000 - amount0In * 3;
        uint256 adjusted1 = balance1 * 1000 - amount1In * 3;
        require(adjusted0 * adjusted1 >= uint256(r0) * uint256(r1) * 1000 ** 2, "CoreMeme: K");
    }

    function _update(uint256 balance0, uint256 balance1, uint112 r0, uint112 r1) private {
        require(balance0 <= type(uint112).max && balance1 <= type(uint112).max, "CoreMeme: OVERFLOW");
        uint32 timestamp = uint32(block.timestamp % 2 ** 32);
        unchecked {
            uint32 elapsed = timestamp - blockTimestampLast;
            if (elapsed > 0 && r0 != 0 && r1 != 0) {
                // UQ112x112 prices, overflow intended as in Uniswap V2.
                price0CumulativeLast += ((uint256(r1) << 112) / r0) * elapsed;
                price1CumulativeLast += ((uint256(r0) << 112) / r1) * elapsed;
            }
        }
        reserve0 = uint112(balance0);
        reserve1 = uint112(balance1);
        blockTimestampLast = timestamp;
        emit Sync(reserve0, reserve1);
    }

    function _min(uint256 x, uint256 y) private pure returns (uint256) {
        return x < y ? x : y;
    }

    /// @dev Babylonian square root.
    function _sqrt(uint256 y) private pure returns (uint256 z) {
        if (y > 3) {
            z = y;
            uint256 x = y / 2 + 1;
            while (x < z) {
                z = x;
                x = (y / x + x) / 2;
            }
        } else if (y != 0) {
            z = 1;
        }
    }
}
