// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ERC20} from "./ERC20.sol";

/// @title StableUSD
/// @notice The devnet's "Tether USD" (USDT, 6 decimals). Anyone may mint: it is a test token.
contract StableUSD is ERC20 {
    constructor() ERC20("Tether USD", "USDT", 6) {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
